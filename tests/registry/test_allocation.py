import threading

import pytest
from django.db import connection, connections
from django.test import override_settings

from rpps.registry import identifiers
from rpps.registry.allocation import RangeExhausted, allocate_many, allocate_rpps
from tests import factories

pytestmark = pytest.mark.django_db


def test_allocates_consecutive_luhn_valid_numbers_from_the_configured_range():
    numbers = [allocate_rpps((8_000_000_000, 8_000_000_099)) for _ in range(5)]
    assert [n[:10] for n in numbers] == [str(8_000_000_000 + i) for i in range(5)]
    assert all(identifiers.validate_rpps(n) == n for n in numbers)


@override_settings(RPPS_ALLOCATION_BOUNDS=(8_100_000_000, 8_100_000_099))
def test_default_range_comes_from_settings():
    assert allocate_rpps().startswith("8100000000")


def test_never_returns_a_number_that_exists(recording):
    existing = identifiers.rpps_from_body(8_200_000_001)
    factories.person(rpps=existing)  # e.g. loaded from a national file
    numbers = [allocate_rpps((8_200_000_000, 8_200_000_099)) for _ in range(3)]
    assert existing not in numbers
    assert [n[:10] for n in numbers] == ["8200000000", "8200000002", "8200000003"]


def test_numbers_for_a_file_come_at_once_skip_existing_ones_and_follow_single_ones(recording):
    bounds = (8_400_000_000, 8_400_000_099)
    factories.person(rpps=identifiers.rpps_from_body(8_400_000_002))
    numbers = allocate_many(4, bounds)
    assert [n[:10] for n in numbers] == ["8400000000", "8400000001", "8400000003", "8400000004"]
    assert all(identifiers.validate_rpps(n) == n for n in numbers)
    assert allocate_rpps(bounds)[:10] == "8400000005" and allocate_many(0, bounds) == []
    with pytest.raises(RangeExhausted, match="épuisée"):
        allocate_many(200, bounds)


def test_exhausted_range_is_an_error_not_a_reuse():
    bounds = (8_300_000_000, 8_300_000_001)
    allocate_rpps(bounds), allocate_rpps(bounds)
    with pytest.raises(RangeExhausted, match="épuisée"):
        allocate_rpps(bounds)


@pytest.mark.postgres_only
def test_concurrent_callers_never_get_the_same_number():
    """8 threads x 500 allocations, each in its own connection and committed transaction: 4,000 distinct numbers.

    The threads commit for real (their connections are not the test's); the range is used by this test only.
    """
    assert connection.vendor == "postgresql"
    bounds = (8_400_000_000, 8_499_999_999)
    results: list[list[str]] = [[] for _ in range(8)]
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def worker(slot: int):
        try:
            start.wait()
            for _ in range(500):
                results[slot].append(allocate_rpps(bounds))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    allocated = [n for chunk in results for n in chunk]
    assert len(allocated) == 4000
    assert len(set(allocated)) == 4000
    assert all(identifiers.luhn_is_valid(n) for n in allocated)
