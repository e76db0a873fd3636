import pytest
from hypothesis import given
from hypothesis import strategies as st

from rpps.registry import identifiers as ids

digits = st.text(alphabet="0123456789", min_size=1, max_size=20)

# Real identifiers from public samples (formats.md §8).
REAL_RPPS = [
    "10101299823",
    "10004630413",
    "10100315737",
    "10000781483",
    "10005945976",
    "10100271385",
    "10000013994",
    "10006122583",
    "10005355572",
    "10000927870",
]
REAL_FINESS = ["130780521", "130786049", "780300323", "780003679", "250000700", "250000452", "010009496", "010011468"]


class TestLuhn:
    @given(digits)
    def test_appending_the_check_digit_makes_a_valid_number(self, body):
        assert ids.luhn_is_valid(body + ids.luhn_check_digit(body))

    @given(digits, st.integers(min_value=1, max_value=9))
    def test_changing_one_digit_is_detected(self, body, delta):
        number = body + ids.luhn_check_digit(body)
        position = len(number) - 1
        altered = number[:position] + str((int(number[position]) + delta) % 10)
        assert not ids.luhn_is_valid(altered)

    @given(st.text(alphabet="0123456789", min_size=2, max_size=20), st.data())
    def test_swapping_two_adjacent_different_digits_is_detected_except_09(self, body, data):
        number = body + ids.luhn_check_digit(body)
        i = data.draw(st.integers(min_value=0, max_value=len(number) - 2))
        a, b = number[i], number[i + 1]
        swapped = number[:i] + b + a + number[i + 2 :]
        if a != b and {a, b} != {"0", "9"}:
            assert not ids.luhn_is_valid(swapped)


class TestRpps:
    @pytest.mark.parametrize("number", REAL_RPPS)
    def test_real_numbers_are_valid(self, number):
        assert ids.validate_rpps(number) == number

    @given(st.integers(min_value=10**9, max_value=10**10 - 1))
    def test_numbers_built_from_a_body_are_valid_and_keep_the_body(self, body):
        number = ids.rpps_from_body(body)
        assert len(number) == 11 and number[:10] == str(body)
        assert ids.validate_rpps(number) == number

    @given(st.text(max_size=15))
    def test_anything_else_is_refused_with_a_french_message(self, value):
        cleaned = value.replace(" ", "").strip()
        if len(cleaned) == 11 and cleaned.isascii() and cleaned.isdigit() and ids.luhn_is_valid(cleaned):
            return
        with pytest.raises(ids.InvalidIdentifier, match="numéro RPPS"):
            ids.validate_rpps(value)

    def test_wrong_key(self):
        with pytest.raises(ids.InvalidIdentifier, match="clé de contrôle"):
            ids.validate_rpps("10101299824")

    def test_spaces_are_tolerated(self):
        assert ids.validate_rpps("101 012 998 23") == "10101299823"


class TestIdnps:
    @given(st.integers(min_value=10**9, max_value=10**10 - 1))
    def test_rpps_round_trip(self, body):
        rpps = ids.rpps_from_body(body)
        assert ids.parse_idnps("8" + rpps) == ids.Idnps("RPPS", rpps)

    def test_adeli_form(self):
        assert ids.parse_idnps("0012800736") == ids.Idnps("ADELI", "012800736")

    def test_real_idnps_fails_luhn_as_a_whole_but_is_valid(self):
        assert not ids.luhn_is_valid("810101299823")
        assert ids.parse_idnps("810101299823").number == "10101299823"

    @pytest.mark.parametrize("value", ["10101299823", "910101299823", "81010129982", "0", ""])
    def test_malformed(self, value):
        with pytest.raises(ids.InvalidIdentifier, match="IDNPS"):
            ids.parse_idnps(value)


class TestAdeli:
    @pytest.mark.parametrize("value", ["012800736", "012800728", "533100558"])
    def test_known_samples(self, value):
        assert ids.validate_adeli(value) == value

    @pytest.mark.parametrize("value", ["01280073", "0128007361", "01280073X", "012800737"])
    def test_malformed(self, value):
        with pytest.raises(ids.InvalidIdentifier, match="ADELI"):
            ids.validate_adeli(value)


class TestFiness:
    @pytest.mark.parametrize("value", REAL_FINESS)
    def test_real_numbers_are_valid(self, value):
        assert ids.validate_finess(value) == value

    @given(st.sampled_from(["2A", "2B"]), st.text(alphabet="0123456789", min_size=7, max_size=7))
    def test_corsica_format_is_accepted(self, department, rest):
        assert ids.validate_finess(department.lower() + rest) == department + rest

    @given(st.text(alphabet="0123456789", min_size=8, max_size=8))
    def test_metropolitan_numbers_need_the_luhn_key(self, body):
        assert ids.validate_finess(body + ids.luhn_check_digit(body)) == body + ids.luhn_check_digit(body)
        wrong = str((int(ids.luhn_check_digit(body)) + 1) % 10)
        with pytest.raises(ids.InvalidIdentifier, match="FINESS"):
            ids.validate_finess(body + wrong)

    @pytest.mark.parametrize("value", ["2C0000001", "12345678", "1234567890", "ABCDEFGHI"])
    def test_malformed(self, value):
        with pytest.raises(ids.InvalidIdentifier, match="FINESS"):
            ids.validate_finess(value)


class TestSirenSiret:
    @given(
        st.text(alphabet="0123456789", min_size=8, max_size=8), st.text(alphabet="0123456789", min_size=4, max_size=4)
    )
    def test_siret_built_on_a_valid_siren_is_valid(self, siren_body, nic_body):
        siren = siren_body + ids.luhn_check_digit(siren_body)
        assert ids.validate_siren(siren) == siren
        siret = siren + nic_body + ids.luhn_check_digit(siren + nic_body)
        if siren == ids.LA_POSTE_SIREN:
            return
        assert ids.validate_siret(siret) == siret

    def test_siret_with_invalid_siren_is_refused(self):
        body = "1234567800001"
        with pytest.raises(ids.InvalidIdentifier, match="SIRET est invalide : ses 9 premiers chiffres"):
            ids.validate_siret(body + ids.luhn_check_digit(body))

    def test_la_poste_exception(self):
        assert ids.validate_siret("35600000000001") == "35600000000001"  # digit sum 15
        with pytest.raises(ids.InvalidIdentifier, match="SIRET"):
            ids.validate_siret("35600000000002")

    @pytest.mark.parametrize("value", ["1234567890123", "123456789012345", "1234567890123A"])
    def test_malformed_siret(self, value):
        with pytest.raises(ids.InvalidIdentifier, match="14 chiffres"):
            ids.validate_siret(value)


class TestStructureIds:
    def test_real_technical_ids(self):
        assert ids.parse_structure_technical_id("F250000700") == ids.StructureId("FINESS", "250000700")
        assert ids.parse_structure_technical_id("R10100000249227").kind == "RPPS_RANG"

    def test_real_old_ids(self):
        assert ids.parse_old_structure_id("1250000700") == ids.StructureId("FINESS", "250000700")
        assert ids.parse_old_structure_id("410005904213003") == ids.StructureId("RPPS_RANG", "10005904213003")

    @given(st.integers(min_value=10**9, max_value=10**10 - 1), st.integers(min_value=0, max_value=999))
    def test_both_forms_round_trip(self, body, rank):
        number = ids.rpps_from_body(body) + f"{rank:03d}"
        sid = ids.structure_id("RPPS_RANG", number)
        assert ids.parse_structure_technical_id(sid.technical_id) == sid
        assert ids.parse_old_structure_id(sid.old_id) == sid
        assert ids.parse_any_structure_id(sid.old_id) == ids.parse_any_structure_id(sid.technical_id)

    def test_siret_forms(self):
        siret = "26250462400012"
        sid = ids.structure_id("SIRET", siret)
        assert sid.technical_id == "C" + siret and sid.old_id == "3" + siret

    @pytest.mark.parametrize(
        "value", ["X250000700", "F250000701", "R1010000024922", "R1010000024922A", "5250000700", ""]
    )
    def test_malformed(self, value):
        with pytest.raises(ids.InvalidIdentifier):
            ids.parse_any_structure_id(value)


class TestBirthPlace:
    @pytest.mark.parametrize("value", ["75056", "2A004", "2b033", "97411", "99134"])
    def test_valid(self, value):
        assert ids.validate_birth_place_code(value) == value.upper()

    @pytest.mark.parametrize("value", ["7505", "750561", "2C004", "PARIS"])
    def test_invalid(self, value):
        with pytest.raises(ids.InvalidIdentifier, match="lieu de naissance"):
            ids.validate_birth_place_code(value)


def test_old_structure_id_of_a_stored_technical_id_does_not_check_again():
    # outputs must not fail on an identifier loaded as given (the IG's FINESS 754567860 fails the key)
    assert ids.old_structure_id("F754567860") == "1754567860"
    assert ids.old_structure_id("C12345678901234") == "312345678901234"
    assert ids.old_structure_id("R10100000249227") == "410100000249227"
    assert ids.old_structure_id("") == ""


class TestBirthPlaceExists:
    @pytest.mark.parametrize("value", ["20004", "75116", "01340", "69381", "2B033"])
    def test_codes_of_the_cog_history_are_accepted(self, value):
        """Corsica before 1976, an arrondissement, a commune merged since: codes a birth record carries."""
        assert ids.validate_birth_place_code(value) == value

    @pytest.mark.parametrize("value", ["01999", "49999", "75121"])
    def test_a_well_formed_code_no_commune_ever_had_is_refused(self, value):
        with pytest.raises(ids.InvalidIdentifier, match=f"« {value} » n'existe pas dans le Code officiel géographique"):
            ids.validate_birth_place_code(value)


@pytest.mark.parametrize(
    "name", ["DUPONT", "Lefèvre", "N'GUYEN", "D’ARTAGNAN", "Marie-Hélène Claire", "ŒUVRARD", "Çelik", "O'Neil Smith"]
)
def test_names_take_letters_spaces_hyphens_and_apostrophes(name):
    assert ids.validate_name(name) == name


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ('=HYPERLINK("http://evil.example/x","Cliquez")', "« = »"),
        ("DUP0NT", "« 0 »"),
        ("Jean;Paul", "« ; »"),
        ("Anne\tMarie", "une tabulation ou un saut de ligne"),
        ("Иван", "« И »"),
        ("<script>", "« < »"),
    ],
)
def test_anything_else_in_a_name_is_refused_naming_it(name, shown):
    with pytest.raises(ids.InvalidIdentifier) as refused:
        ids.validate_name(name)
    assert shown in str(refused.value)


def test_a_name_starts_with_a_letter():
    with pytest.raises(ids.InvalidIdentifier, match="commence par une lettre"):
        ids.validate_name("-DUPONT")
