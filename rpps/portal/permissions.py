"""Who may do what in the portal: the one place for the rules.

Everything is read from the database on each call (no cache in the session), so a habilitation
closed or a contract terminated stops working on the user's very next request.
"""

from django.db.models import Q

from rpps.registry.models import Structure

from .models import Contract, Habilitation


def open_habilitations(national_id: str):
    if not national_id:
        return Habilitation.objects.none()
    return Habilitation.objects.filter(
        national_id=national_id, state=Habilitation.State.OPEN, contract__state=Contract.State.ACTIVE
    )


def representing(national_id: str):
    """Open habilitations that act for a contract: representative, pharmacy owner, mandataire."""
    return open_habilitations(national_id).filter(kind__in=Habilitation.REPRESENTING)


def represented_contracts(national_id: str):
    return Contract.objects.filter(pk__in=representing(national_id).values("contract_id"))


def heads(national_id: str, contract: Contract) -> bool:
    return open_habilitations(national_id).filter(contract=contract, kind__in=Habilitation.HEADS).exists()


def acts_for(national_id: str, contract: Contract) -> bool:
    return representing(national_id).filter(contract=contract).exists()


def can_designate(national_id: str, contract: Contract, kind: str) -> bool:
    if contract.state != Contract.State.ACTIVE:
        return False
    if kind == Habilitation.Kind.MANDATARY:
        return heads(national_id, contract)
    if kind == Habilitation.Kind.MANAGER:
        return acts_for(national_id, contract)
    return False  # representatives are habilitated by an operator's approval only


def _acting_for(national_id: str) -> tuple[set[int], set[int]]:
    """(contracts this user acts for, contracts they head)."""
    mine = list(representing(national_id).values_list("contract_id", "kind"))
    return {contract_id for contract_id, _ in mine}, {c for c, kind in mine if kind in Habilitation.HEADS}


def _may_manage(habilitation: Habilitation, acting: set[int], heading: set[int]) -> bool:
    """A head manages mandataires and gestionnaires, a mandataire manages gestionnaires; nobody manages a
    representative (an operator terminates the contract)."""
    if habilitation.kind == Habilitation.Kind.MANDATARY:
        return habilitation.contract_id in heading
    return habilitation.kind == Habilitation.Kind.MANAGER and habilitation.contract_id in acting


def closable(national_id: str, habilitations) -> set[int]:
    """Ids of the open habilitations this user may close."""
    acting, heading = _acting_for(national_id)
    return {h.pk for h in habilitations if h.state == Habilitation.State.OPEN and _may_manage(h, acting, heading)}


def reopenable(national_id: str, habilitations) -> set[int]:
    """Ids of the closed habilitations this user closed and still manages: they may reopen them."""
    acting, heading = _acting_for(national_id)
    return {
        h.pk
        for h in habilitations
        if national_id
        and h.state == Habilitation.State.CLOSED
        and h.closed_by_national_id == national_id
        and _may_manage(h, acting, heading)
    }


def can_close(national_id: str, habilitation: Habilitation) -> bool:
    return habilitation.pk in closable(national_id, [habilitation])


def visible_contracts(account):
    """Contracts a portal user may read: those they requested, represent or are named on."""
    return Contract.objects.filter(
        Q(requested_by=account)
        | Q(pk__in=representing(account.national_id).values("contract_id"))
        | (Q(representative_national_id=account.national_id) & ~Q(representative_national_id=""))
    ).distinct()


def visible_habilitations(national_id: str):
    """Habilitations (open or closed) of the contracts this user acts for."""
    return Habilitation.objects.filter(contract__in=represented_contracts(national_id))


def managed_structures(national_id: str):
    """Structures where this user may register professionals (gestionnaire or representing)."""
    ids = set()
    for habilitation in open_habilitations(national_id).select_related("contract"):
        ids |= habilitation.scope_ids()
    return Structure.objects.filter(pk__in=ids)


def manages(national_id: str, structure: Structure) -> bool:
    return any(h.covers(structure) for h in open_habilitations(national_id).select_related("contract"))
