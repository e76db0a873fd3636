"""The RPPS+ portal's pages. Thin: rules are in permissions.py, actions in services.py."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from rpps.nomenclatures import catalog, lookup
from rpps.registry import folding, identifiers
from rpps.registry.models import Exercise, Person, Structure

from . import audit, oidc, permissions, services
from .audit import Who
from .forms import (
    ContractRequestForm,
    DesignationForm,
    HabilitationFilterForm,
    PersonSearchForm,
    StructureIdentifierForm,
)
from .models import AuditEvent, Contract, ContractSite, Habilitation

Action = AuditEvent.Action


def portal_user_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        account = getattr(request.user, "portal_account", None) if request.user.is_authenticated else None
        if account is None:
            messages.info(request, "Connectez-vous avec Pro Santé Connect pour accéder à cette page.")
            return redirect("portal:home")
        request.account = account
        return view(request, *args, **kwargs)

    return wrapper


def _refused_page(request, message: str, status: int = 403):
    return render(request, "portal/message.html", {"title": "Action refusée", "message": message}, status=status)


def home(request):
    account = getattr(request.user, "portal_account", None) if request.user.is_authenticated else None
    if account is None:
        return render(request, "portal/welcome.html", {"title": "Accueil"})
    national_id = account.national_id
    habilitations = (
        permissions.open_habilitations(national_id).select_related("structure", "contract").order_by("structure__name")
    )
    contracts = permissions.visible_contracts(account).select_related("structure")
    person = Person.objects.current().filter(pk=account.person_id).first() if account.person_id else None
    context = {
        "title": "Mon espace RPPS+",
        "account": account,
        "habilitations": habilitations,
        # Only contracts this user may open are links (a gestionnaire's habilitation names its contract).
        "openable": {c.pk for c in contracts},
        "contracts": contracts,
        "managed": permissions.managed_structures(national_id).order_by("name")[:200],
        "person": person,
        "own_request": None if person else account.registration_requests.select_related("structure").first(),
    }
    return render(request, "portal/home.html", context)


def sign_in(request):
    if not oidc.configured(request):
        return render(
            request,
            "portal/message.html",
            {"title": "Connexion indisponible", "message": "La connexion Pro Santé Connect n'est pas configurée."},
            status=503,
        )
    try:
        url = oidc.begin(request, request.build_absolute_uri(reverse("portal:callback")))
    except oidc.SignInRefused as exc:
        audit.record(Who.from_request(request), Action.SIGN_IN_REFUSED, refused=True, message=exc.reason)
        return render(
            request, "portal/message.html", {"title": "Connexion impossible", "message": exc.message}, status=503
        )
    return redirect(url)


def callback(request):
    who = Who.from_request(request)
    try:
        claims, id_token = oidc.complete(request)
    except oidc.SignInRefused as exc:
        audit.record(who, Action.SIGN_IN_REFUSED, refused=True, message=exc.reason)
        return render(
            request, "portal/message.html", {"title": "Connexion refusée", "message": exc.message}, status=400
        )
    if request.user.is_authenticated:
        logout(request)
    account = services.sign_in(who, claims, get_user_model())
    login(request, account.user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[oidc.ID_TOKEN_KEY] = id_token
    return redirect("portal:home")


@require_POST
def sign_out(request):
    id_token = request.session.get(oidc.ID_TOKEN_KEY)
    if request.user.is_authenticated:
        audit.record(Who.from_request(request), Action.SIGN_OUT)
    logout(request)
    provider = oidc.logout_url(request, id_token, request.build_absolute_uri(reverse("portal:home")))
    return redirect(provider or "portal:home")


@portal_user_required
def contract_request(request):
    form = ContractRequestForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            contract = services.request_contract(
                Who.from_request(request),
                identifier_type=form.cleaned_data["identifier_type"],
                identifier=form.cleaned_data["identifier"],
                data=form.contract_data(),
                evidence=(form.cleaned_data["evidence_kind"], form.cleaned_data["evidence"]),
            )
        except services.Refused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request, f"Votre demande de contrat n° {contract.pk} est enregistrée ; un opérateur va l'examiner."
            )
            return redirect("portal:contract", pk=contract.pk)
    elif request.method == "POST":
        audit.record(Who.from_request(request), Action.CONTRACT_REQUESTED, refused=True, message="formulaire incomplet")
    return render(request, "portal/contract_request.html", {"title": "Demander un contrat", "form": form})


def _visible_contract(request, pk) -> Contract:
    contract = permissions.visible_contracts(request.account).filter(pk=pk).select_related("structure").first()
    if contract is None:
        audit.record(Who.from_request(request), Action.ACCESS_REFUSED, refused=True, target=f"contrat n° {pk}")
        raise Http404("Contrat introuvable.")
    return contract


def _sites(contract: Contract) -> list:
    """The structures the contract covers; those added on the portal carry ``added_pk`` (they may be removed)."""
    added = dict(contract.added_sites.values_list("structure_id", "pk"))
    sites = list(contract.covered_structures().order_by("name")[:500])
    for site in sites:
        site.added_pk = added.get(site.pk)
    return sites


@portal_user_required
def contract_detail(request, pk):
    contract = _visible_contract(request, pk)
    national_id = request.account.national_id
    acts = permissions.acts_for(national_id, contract)
    site_form = StructureIdentifierForm(request.POST or None, prefix="site")
    if request.method == "POST" and site_form.is_valid() and not request.POST.get("confirmer"):
        try:
            found = services.find_structure(
                site_form.cleaned_data["identifier_type"], site_form.cleaned_data["identifier"]
            )
        except services.Refused as exc:
            site_form.add_error(exc.field if exc.field in site_form.fields else None, exc.message)
        else:
            return confirm_page(
                request,
                f"Ajouter « {found.name} » au contrat n° {contract.pk} ?",
                f"{found.name} ({found.technical_id}, {found.postal_code} {found.commune_label}) sera couvert par le "
                "contrat : ses gestionnaires habilités pourront y enregistrer des professionnels. Vous pourrez le "
                "retirer tant que rien n'y est enregistré.",
                "Ajouter le site",
                reverse("portal:contract", args=[contract.pk]),
                hidden={**{f"site-{k}": v for k, v in site_form.cleaned_data.items()}, "confirmer": "1"},
            )
    elif request.method == "POST" and site_form.is_valid():
        try:
            site = services.add_site(
                Who.from_request(request),
                contract,
                site_form.cleaned_data["identifier_type"],
                site_form.cleaned_data["identifier"],
            )
        except services.Refused as exc:
            site_form.add_error(exc.field if exc.field in site_form.fields else None, exc.message)
        else:
            messages.success(request, f"Le site « {site.structure.name} » est ajouté au contrat.")
            return redirect("portal:contract", pk=contract.pk)
    context = {
        "title": f"Contrat n° {contract.pk}",
        "contract": contract,
        "acts": acts,
        "heads": permissions.heads(national_id, contract),
        "sites": _sites(contract),
        "habilitations": contract.habilitations.select_related("structure").order_by("state", "kind", "family_name")
        if acts
        else [],
        "site_form": site_form,
    }
    return render(request, "portal/contract_detail.html", context)


def _search_people(query: str):
    """Public data only: names of exercise, RPPS number, profession."""
    query = query.strip()
    digits = query.replace(" ", "")
    persons = Person.objects.current()
    if identifiers.ascii_digits(digits):
        if len(digits) == 12 and digits.startswith(identifiers.IDNPS_RPPS_PREFIX):
            digits = digits[1:]
        persons = persons.filter(rpps=digits)
    else:
        exercises = Exercise.objects.filter(folding.name_search(query, "last_name", "first_name"))
        persons = persons.filter(pk__in=exercises.values("person_id"))
    results = []
    for person in persons.prefetch_related("exercises")[:20]:
        exercise = next(iter(person.exercises.all()), None)
        results.append(
            {
                "pk": person.pk,
                "rpps": person.rpps,
                "name": f"{exercise.first_name} {exercise.last_name}" if exercise else "(sans exercice)",
                "profession": lookup.label(catalog.PROFESSION, exercise.profession_code) if exercise else "",
            }
        )
    return results


def _designation_sites(contract) -> list[tuple[str, str]]:
    """The choices of site: the contracting structure (all its sites), then each site it covers."""
    return [(str(contract.structure_id), f"{contract.structure.name} — tous les sites")] + [
        (str(s.pk), f"{s.name} ({s.technical_id})")
        for s in contract.covered_structures().exclude(pk=contract.structure_id).order_by("name")[:500]
    ]


def _designate(request, contract, person, form):
    """The designation the form asks for, or None with the service's refusal on the form's field."""
    structure = Structure.objects.filter(pk=form.cleaned_data["structure"]).first()
    try:
        if structure is None:
            raise services.Refused("Cette structure n'existe pas.", "structure")
        return services.designate(
            Who.from_request(request),
            contract=contract,
            structure=structure,  # whether the contract covers it: the service's rule
            kind=form.cleaned_data["kind"],
            person=person,
            email=form.cleaned_data["email"],
            phone=form.cleaned_data["phone"],
            training_date=form.cleaned_data["training_date"],
            terms_accepted=form.cleaned_data["terms"],
        )
    except services.Refused as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return None


@portal_user_required
def designate(request, pk):
    contract = _visible_contract(request, pk)
    national_id = request.account.national_id
    kinds = [
        k
        for k in (Habilitation.Kind.MANAGER, Habilitation.Kind.MANDATARY)
        if permissions.can_designate(national_id, contract, k)
    ]
    if not kinds:
        audit.record(
            Who.from_request(request),
            Action.HABILITATION_OPENED,
            refused=True,
            contract=contract,
            message="désignation par une personne qui ne représente pas la structure",
        )
        return _refused_page(
            request, "Vous ne représentez pas cette structure : vous ne pouvez pas y désigner de gestionnaire."
        )
    search = PersonSearchForm(request.GET or None)
    results = _search_people(search.cleaned_data["q"]) if search.is_bound and search.is_valid() else None
    chosen = None
    person_id = request.POST.get("person") or request.GET.get("person")
    if person_id and identifiers.ascii_digits(str(person_id)):
        chosen = Person.objects.current().filter(pk=person_id).first()
    form = DesignationForm(request.POST or None, kinds=kinds, structures=_designation_sites(contract))
    if request.method == "POST" and chosen is not None and form.is_valid():
        habilitation = _designate(request, contract, chosen, form)
        if habilitation is not None:
            messages.success(
                request,
                f"Votre demande a bien été traitée : {habilitation.given_name} {habilitation.family_name} est "
                f"{habilitation.get_kind_display().lower()} et peut se rendre sur le portail RPPS+.",
            )
            return redirect("portal:contract", pk=contract.pk)
    chosen_view = None
    if chosen is not None:
        names = services.exercise_names(chosen)
        chosen_view = {"pk": chosen.pk, "rpps": chosen.rpps, "name": f"{names[1]} {names[0]}".strip()}
    context = {
        "title": "Désigner un gestionnaire RPPS+",
        "contract": contract,
        "search": search,
        "results": results,
        "chosen": chosen_view,
        "form": form,
    }
    return render(request, "portal/designate.html", context)


@portal_user_required
def habilitation_list(request):
    national_id = request.account.national_id
    data = request.GET if request.GET else {"state": Habilitation.State.OPEN}
    form = HabilitationFilterForm(data)
    habilitations = permissions.visible_habilitations(national_id).select_related("structure", "contract")
    if form.is_valid():
        values = form.cleaned_data
        if values["name"]:
            habilitations = habilitations.filter(folding.name_search(values["name"], "family_name", "given_name"))
        if values["national_id"]:
            habilitations = habilitations.filter(national_id__icontains=values["national_id"].replace(" ", ""))
        if values["structure"]:
            term = values["structure"]
            habilitations = habilitations.filter(
                Q(structure__name__icontains=term)
                | Q(structure__finess=term.upper())
                | Q(structure__siret=term)
                | Q(structure__technical_id=term.upper())
            )
        if values["state"]:
            habilitations = habilitations.filter(state=values["state"])
    shown = list(habilitations.order_by("family_name", "given_name", "pk")[:500])
    allowed = permissions.closable(national_id, shown)
    reopenable = permissions.reopenable(national_id, shown)
    rows = [{"habilitation": h, "can_close": h.pk in allowed, "can_reopen": h.pk in reopenable} for h in shown]
    return render(request, "portal/habilitations.html", {"title": "Habilitations", "form": form, "rows": rows})


def confirm_page(request, title: str, consequence: str, label: str, back: str, hidden=None):
    """The confirmation step of an action: what will happen, a button to do it (posting ``hidden`` again),
    a way back."""
    context = {"title": title, "consequence": consequence, "label": label, "back": back, "hidden": hidden or {}}
    return render(request, "portal/confirm.html", context)


def _habilitation_step(request, pk, *, allowed, act, verb: str, outcome: str, done: str, refusal: str, note=""):
    """Close or reopen: the confirmation page (GET), then the action (POST) and back to the list."""
    habilitation = get_object_or_404(Habilitation.objects.select_related("contract", "structure"), pk=pk)
    who = f"{habilitation.given_name} {habilitation.family_name}"
    if request.method != "POST":
        if habilitation.pk not in allowed(request.account.national_id, [habilitation]):
            return _refused_page(request, refusal)
        return confirm_page(
            request,
            f"{verb} l'habilitation de {who} ?",
            f"{who} {outcome} l'habilitation « {habilitation.get_kind_display()} » pour {habilitation.structure.name}."
            + note,
            f"{verb} l'habilitation",
            reverse("portal:habilitations"),
        )
    try:
        act(Who.from_request(request), habilitation)
    except services.Refused as exc:
        return _refused_page(request, exc.message)
    messages.success(request, f"L'habilitation de {who} est {done}.")
    return redirect("portal:habilitations")


@portal_user_required
def habilitation_close(request, pk):
    return _habilitation_step(
        request,
        pk,
        allowed=permissions.closable,
        act=services.close_habilitation,
        verb="Fermer",
        outcome="perdra dès maintenant",
        note=" Vous pourrez la rouvrir depuis la liste des habilitations.",
        done="fermée",
        refusal=services.CANNOT_CLOSE,
    )


@portal_user_required
def habilitation_reopen(request, pk):
    return _habilitation_step(
        request,
        pk,
        allowed=permissions.reopenable,
        act=services.reopen_habilitation,
        verb="Rouvrir",
        outcome="retrouvera dès maintenant",
        done="rouverte",
        refusal=services.CANNOT_REOPEN,
    )


@portal_user_required
def contract_site_remove(request, pk, site_pk):
    contract = _visible_contract(request, pk)
    added = get_object_or_404(
        ContractSite.objects.select_related("structure", "contract"), pk=site_pk, contract=contract
    )
    back = reverse("portal:contract", args=[contract.pk])
    if request.method != "POST":
        if not permissions.acts_for(request.account.national_id, contract):
            return _refused_page(
                request, "Vous ne représentez pas cette structure : vous ne pouvez pas retirer ce site."
            )
        reason = services.site_in_use(added)
        if reason:
            return _refused_page(request, f"« {added.structure.name} » ne peut pas être retiré du contrat : {reason}.")
        return confirm_page(
            request,
            f"Retirer « {added.structure.name} » du contrat n° {contract.pk} ?",
            f"Le contrat ne couvrira plus {added.structure.name} ({added.structure.technical_id}) : personne ne pourra "
            "plus y enregistrer de professionnel au titre de ce contrat. Vous pourrez l'ajouter de nouveau.",
            "Retirer le site",
            back,
        )
    try:
        services.remove_site(Who.from_request(request), added)
    except services.Refused as exc:
        return _refused_page(request, exc.message)
    messages.success(request, f"Le site « {added.structure.name} » est retiré du contrat.")
    return redirect(back)
