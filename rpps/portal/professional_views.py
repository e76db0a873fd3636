"""Portal pages for professionals: register, instruct, update, close, import a file, see one's own record."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from rpps.nomenclatures import catalog, cog, lookup
from rpps.registry import folding, identifiers
from rpps.registry.history import person_history
from rpps.registry.models import Activity, Person
from rpps.registry.projection import public_person

from . import audit, bulk, permissions, registration
from .audit import Who
from .forms import (
    BulkUploadForm,
    CloseSituationForm,
    OwnRecordForm,
    ProfessionalForm,
    RejectionForm,
    SelfRegistrationForm,
    SituationChangeForm,
)
from .models import AuditEvent, BulkImport, RegistrationRequest
from .views import confirm_page, portal_user_required

Action = AuditEvent.Action


def _managed(request):
    return permissions.managed_structures(request.account.national_id).order_by("name")


def _refuse_unmanaged(request, what: str):
    audit.record(Who.from_request(request), Action.ACCESS_REFUSED, refused=True, target=what[:300])
    raise Http404("Introuvable, ou hors de vos structures.")


def _first_or_refuse(request, queryset, what: str):
    """The one object the user may see, or a 404 (and an "accès refusé" audit event)."""
    found = queryset.first()
    if found is None:
        _refuse_unmanaged(request, what)
    return found


def _form_error(form, exc):
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@portal_user_required
def professionals(request):
    structures = list(_managed(request))
    if not structures:
        return _refuse_unmanaged(request, "liste des professionnels")
    activities = registration.managed_activities(request.account.national_id).select_related(
        "exercise__person", "structure"
    )
    query = request.GET.get("q", "").strip()[:100]
    if query:
        digits = query.replace(" ", "")
        activities = activities.filter(
            Q(exercise__person__rpps=digits[-11:])
            if identifiers.ascii_digits(digits)
            else folding.name_search(query, "exercise__last_name", "exercise__first_name")
        )
    page = Paginator(activities.order_by("exercise__last_name", "exercise__first_name", "pk"), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "portal/professionals.html",
        {
            "title": "Professionnels de mes structures",
            "page": page,
            "query": query,
            "to_instruct": registration.instructable(request.account.national_id).count(),
        },
    )


@portal_user_required
def professional_new(request):
    structures = list(_managed(request))
    if not structures:
        return _refuse_unmanaged(request, "enregistrement d'un professionnel")
    form = ProfessionalForm(request.POST or None, structures=structures)
    if request.method == "POST" and form.is_valid():
        structure = next(s for s in structures if s.pk == form.cleaned_data["structure"])
        try:
            registered = registration.register(Who.from_request(request), form.cleaned_data, structure)
        except registration.Refused as exc:
            _form_error(form, exc)
        else:
            return redirect("portal:registration_request", pk=registered.pk)
    return render(request, "portal/professional_form.html", {"title": "Enregistrer un professionnel", "form": form})


def _visible_request(request, pk) -> RegistrationRequest:
    visible = RegistrationRequest.objects.filter(
        Q(structure__in=permissions.managed_structures(request.account.national_id)) | Q(account=request.account),
        pk=pk,
    )
    return _first_or_refuse(request, visible.select_related("structure", "person"), f"demande n° {pk}")


@portal_user_required
def registration_request(request, pk):
    found = _visible_request(request, pk)
    return render(request, "portal/registration_request.html", {"title": f"Demande n° {found.pk}", "req": found})


@portal_user_required
def registration_withdraw(request, pk):
    found = _first_or_refuse(
        request,
        RegistrationRequest.objects.filter(account=request.account, pk=pk).select_related("structure"),
        f"retrait de la demande n° {pk}",
    )
    back = reverse("portal:registration_request", args=[found.pk])
    if request.method != "POST":
        return confirm_page(
            request,
            f"Retirer votre demande n° {found.pk} ?",
            f"{found.structure.name} ne pourra plus l'instruire. Vous pourrez déposer une nouvelle demande ensuite.",
            "Retirer ma demande",
            back,
        )
    try:
        registration.withdraw_request(Who.from_request(request), found)
    except registration.Refused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Votre demande est retirée.")
    return redirect(back)


@portal_user_required
def registration_requests(request):
    national_id = request.account.national_id
    to_instruct = registration.instructable(national_id).select_related("structure")
    in_review = RegistrationRequest.objects.filter(
        structure__in=permissions.managed_structures(national_id), state=RegistrationRequest.State.IN_REVIEW
    ).select_related("structure")
    return render(
        request,
        "portal/registration_requests.html",
        {"title": "Demandes d'enregistrement", "to_instruct": to_instruct[:200], "in_review": in_review[:200]},
    )


@portal_user_required
def instruct(request, pk):
    found = _first_or_refuse(
        request,
        registration.instructable(request.account.national_id).filter(pk=pk).select_related("structure"),
        f"instruction de la demande n° {pk}",
    )
    structures = list(_managed(request))
    initial = dict(found.data) | {"structure": found.structure_id}
    form = ProfessionalForm(request.POST or None, structures=structures, initial=initial)
    rejection = RejectionForm(request.POST or None, prefix="rejet")
    if request.method == "POST" and request.POST.get("action") == "rejeter":
        form = ProfessionalForm(structures=structures, initial=initial)
        if rejection.is_valid():
            try:
                registration.reject_request(Who.from_request(request), found, rejection.cleaned_data["reason"])
            except registration.Refused as exc:
                _form_error(rejection, exc)
            else:
                messages.success(request, "La demande est rejetée ; le demandeur voit le motif.")
                return redirect("portal:registration_requests")
    elif request.method == "POST":
        rejection = RejectionForm(prefix="rejet")
        if form.is_valid():
            structure = next(s for s in structures if s.pk == form.cleaned_data["structure"])
            try:
                done = registration.validate_request(Who.from_request(request), found, form.cleaned_data, structure)
            except registration.Refused as exc:
                _form_error(form, exc)
            else:
                return redirect("portal:registration_request", pk=done.pk)
    return render(
        request,
        "portal/instruct.html",
        {"title": f"Instruire la demande n° {found.pk}", "req": found, "form": form, "rejection": rejection},
    )


def _managed_person(request, rpps) -> tuple[Person, list[Activity]]:
    activities = list(
        registration.managed_activities(request.account.national_id)
        .filter(exercise__person__rpps=rpps)
        .select_related("structure", "exercise__person")
        .order_by("-start_date")
    )
    if not activities:
        _refuse_unmanaged(request, f"professionnel RPPS {rpps}")
    return activities[0].exercise.person, activities


@portal_user_required
def professional_detail(request, rpps):
    person, activities = _managed_person(request, rpps)
    typed = (
        RegistrationRequest.objects.filter(person=person, structure__in=_managed(request))
        .exclude(source=RegistrationRequest.Source.SELF, state=RegistrationRequest.State.TO_INSTRUCT)
        .order_by("-created_at")
        .first()
    )
    exercise = activities[0].exercise
    context = {
        "title": f"{exercise.first_name} {exercise.last_name}",
        "person": person,
        "exercise": exercise,
        "activities": [(a, lookup.label(catalog.ROLE, a.role_code)) for a in activities],
        # État civil: shown only to the structures that typed it themselves, as the registry holds it
        # after identity resolution, with what was typed where it differs.
        "civil_status": _civil_status(person, typed.data) if typed else None,
    }
    return render(request, "portal/professional_detail.html", context)


def _civil_status(person: Person, typed: dict) -> list[tuple[str, str, str]]:
    """(label, value in the registry, value typed when it differs) for each civil-status field."""

    def day(value) -> str:
        if not value:
            return ""
        value = value if isinstance(value, datetime.date) else datetime.date.fromisoformat(str(value))
        return value.strftime("%d/%m/%Y")

    pairs = [
        ("Nom de naissance", person.birth_name, typed.get("birth_name", "")),
        ("Prénoms", person.given_names, typed.get("given_names", "")),
        ("Nom d'usage", person.usage_name, typed.get("usage_name", "")),
        ("Date de naissance", day(person.birth_date), day(typed.get("birth_date"))),
        (
            "Lieu de naissance",
            cog.place_label(person.birth_place_code, person.birth_city_abroad),
            cog.place_label(typed.get("birth_place_code"), typed.get("birth_city_abroad")),
        ),
    ]
    # Case and accents are how a name is written, not another name: only a real difference is shown.
    return [
        (label, held or "—", "" if folding.words(held) == folding.words(entered) else entered)
        for label, held, entered in pairs
    ]


def _managed_activity(request, pk) -> Activity:
    activities = registration.managed_activities(request.account.national_id).filter(pk=pk)
    return _first_or_refuse(request, activities.select_related("structure", "exercise__person"), f"situation n° {pk}")


@portal_user_required
def situation_change(request, pk):
    activity = _managed_activity(request, pk)
    person, exercise = activity.exercise.person, activity.exercise
    initial = {
        "exercise_last_name": exercise.last_name,
        "exercise_first_name": exercise.first_name,
        "role_code": activity.role_code,
        "start_date": activity.start_date,
        "end_date": activity.end_date,
        "email": person.email,
        "phone": person.phone,
    }
    form = SituationChangeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            registration.change_situation(Who.from_request(request), activity, form.cleaned_data)
        except registration.Refused as exc:
            _form_error(form, exc)
        else:
            told = " ; le professionnel en est informé par e-mail" if person.email else ""
            asked = form.cleaned_data["email"] if form.cleaned_data["email"] != person.email else ""
            messages.success(request, f"La situation est mise à jour{told}." + _email_to_confirm(asked))
            return redirect("portal:professional", rpps=person.rpps)
    return render(
        request,
        "portal/situation_form.html",
        {
            "title": "Modifier la situation",
            "form": form,
            "activity": activity,
            "submit": "Enregistrer les modifications",
        },
    )


@portal_user_required
def situation_close(request, pk):
    activity = _managed_activity(request, pk)
    form = CloseSituationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            registration.close_situation(
                Who.from_request(request), activity, form.cleaned_data["end_date"], form.cleaned_data["end_reason_code"]
            )
        except registration.Refused as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "La situation est fermée ; le numéro RPPS reste attribué au professionnel.")
            return redirect("portal:professional", rpps=activity.exercise.person.rpps)
    return render(
        request,
        "portal/situation_form.html",
        {"title": "Fermer la situation", "form": form, "activity": activity, "submit": "Fermer la situation"},
    )


@portal_user_required
def situation_withdraw(request, pk):
    """A situation entered by mistake removed, after a confirmation naming what will happen."""
    activity = _managed_activity(request, pk)
    person = activity.exercise.person
    if request.method == "POST" and request.POST.get("confirmed"):
        try:
            registration.withdraw_situation(Who.from_request(request), activity)
        except registration.Refused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                f"La situation à {activity.structure.name} est retirée (saisie erronée) : elle n'apparaît plus dans "
                "l'annuaire ni dans les extractions. Le numéro RPPS reste attribué au professionnel.",
            )
            if (
                not registration.managed_activities(request.account.national_id)
                .filter(exercise__person=person)
                .exists()
            ):
                return redirect("portal:professionals")  # their page here showed only that situation
        return redirect("portal:professional", rpps=person.rpps)
    exercise = activity.exercise
    return confirm_page(
        request,
        "Retirer une situation saisie par erreur",
        f"La situation de {exercise.first_name} {exercise.last_name} (RPPS {person.rpps}) à {activity.structure.name}, "
        f"depuis le {activity.start_date:%d/%m/%Y}, sera retirée du répertoire comme si elle n'avait jamais existé "
        "(elle n'aura pas de date ni de motif de fin). Pour une situation qui a existé et qui s'arrête, "
        "utilisez « Fermer ». Le retrait est inscrit à l'historique du dossier.",
        "Retirer la situation",
        reverse("portal:professional", args=[person.rpps]),
        hidden={"confirmed": "1"},
    )


# --- The professional's own pages --------------------------------------------------------------


@portal_user_required
def self_register(request):
    account = request.account
    if account.person_id:
        return redirect("portal:my_record")
    pending = RegistrationRequest.objects.filter(account=account).select_related("structure").first()
    form = SelfRegistrationForm(
        request.POST or None,
        initial={"exercise_last_name": account.family_name, "exercise_first_name": account.given_name},
    )
    if request.method == "POST" and form.is_valid():
        try:
            made = registration.request_registration(
                Who.from_request(request),
                form.cleaned_data,
                form.cleaned_data["identifier_type"],
                form.cleaned_data["identifier"],
            )
        except registration.Refused as exc:
            _form_error(form, exc)
        else:
            messages.success(
                request, f"Votre demande est transmise à {made.structure.name}, qui a 30 jours pour l'instruire."
            )
            return redirect("portal:registration_request", pk=made.pk)
    return render(
        request, "portal/self_register.html", {"title": "Demander mon enregistrement", "form": form, "pending": pending}
    )


@portal_user_required
def my_record(request):
    person = request.account.person
    if person is None:
        return redirect("portal:self_register")
    person = Person.objects.current().filter(pk=person.pk).first() or person
    exercises = list(person.exercises.prefetch_related("activities__structure"))
    form = OwnRecordForm(
        request.POST or None,
        initial={
            "exercise_last_name": exercises[0].last_name if exercises else "",
            "exercise_first_name": exercises[0].first_name if exercises else "",
            "email": person.email,
            "phone": person.phone,
        },
    )
    if request.method == "POST" and form.is_valid():
        asked = registration.update_own_record(Who.from_request(request), person, form.cleaned_data)
        messages.success(request, "Vos informations sont mises à jour." + _email_to_confirm(asked))
        return redirect("portal:my_record")
    context = {
        "title": "Mon dossier RPPS",
        "person": person,
        "birth_place": cog.place_label(person.birth_place_code, person.birth_city_abroad),
        "public": public_person(person),
        "exercises": [
            (
                e,
                lookup.label(catalog.PROFESSION, e.profession_code),
                [(a, lookup.label(catalog.ROLE, a.role_code)) for a in e.activities.all()],
            )
            for e in exercises
        ],
        "history": person_history(person.pk).order_by("-at", "-id")[:200],
        "form": form,
    }
    return render(request, "portal/my_record.html", context)


# --- Bulk registration ---------------------------------------------------------------------------


@portal_user_required
def bulk_upload(request):
    if not _managed(request).exists():
        return _refuse_unmanaged(request, "import de fichier")
    form = BulkUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > settings.PORTAL_BULK_MAX_BYTES:
            form.add_error(
                "file", f"Fichier trop volumineux : {settings.PORTAL_BULK_MAX_BYTES // 1_048_576} Mo au plus."
            )
        else:
            made = bulk.upload(Who.from_request(request), upload.name, upload.read())
            return redirect("portal:bulk_report", pk=made.pk)
    imports = BulkImport.objects.filter(national_id=request.account.national_id)[:20]
    return render(
        request,
        "portal/bulk_upload.html",
        {
            "title": "Importer un fichier de professionnels",
            "form": form,
            "imports": imports,
            "max_rows": settings.PORTAL_BULK_MAX_ROWS,
        },
    )


def _own_import(request, pk) -> BulkImport:
    return _first_or_refuse(
        request, BulkImport.objects.filter(pk=pk, national_id=request.account.national_id), f"import n° {pk}"
    )


@portal_user_required
def bulk_report(request, pk):
    found = _own_import(request, pk)
    if request.method == "POST":
        try:
            found = bulk.apply(Who.from_request(request), found, valid_only=request.POST.get("valid_only") == "on")
        except registration.Refused as exc:
            messages.error(request, exc.message)
        return redirect("portal:bulk_report", pk=found.pk)
    rows = [
        entry | {"label": bulk.APPLIED_LABELS.get(entry.get("applied")) or bulk.STATUS_LABELS[entry["status"]]}
        for entry in found.report
        if entry["status"] == "erreur" or entry.get("applied") or request.GET.get("tout")
    ]
    return render(
        request,
        "portal/bulk_report.html",
        {
            "title": f"Import « {found.filename} »",
            "bulk_import": found,
            "rows": rows[:1000],
            "labels": bulk.STATUS_LABELS,
            "running": found.state in (BulkImport.State.CHECKING, BulkImport.State.APPLYING),
        },
    )


def _download(content, filename, content_type):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@portal_user_required
def bulk_report_csv(request, pk):
    found = _own_import(request, pk)
    return _download(bulk.report_csv(found), f"rapport-import-{found.pk}.csv", "text/csv; charset=utf-8")


def bulk_template(request, fmt):
    if fmt == "xlsx":
        return _download(
            bulk.template_xlsx(),
            "modele-rpps-plus.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    if fmt == "codes":
        return _download(bulk.code_lists_csv(), "listes-de-codes-rpps-plus.csv", "text/csv; charset=utf-8")
    return _download(bulk.template_csv(), "modele-rpps-plus.csv", "text/csv; charset=utf-8")


def _email_to_confirm(email: str) -> str:
    if not email:
        return ""
    return (
        f" Un lien de confirmation est envoyé à {email} : cette adresse ne remplacera celle du dossier "
        f"qu'une fois le lien suivi (valable {registration.EMAIL_CHANGE_DAYS} jours)."
    )


def confirm_email(request, token):
    """The page a confirmation link opens, without signing in (the link is the proof of the address):
    what will change, then a button; following the link alone writes nothing."""
    try:
        if request.method == "POST":
            person = registration.confirm_email_change(token, audit.client_ip(request))
            return render(
                request,
                "portal/message.html",
                {
                    "title": "Adresse e-mail confirmée",
                    "level": "success",
                    "message": f"{person.email} est désormais l'adresse e-mail de correspondance du dossier RPPS "
                    f"n° {person.rpps}.",
                },
            )
        person, data = registration.pending_email_change(token)
    except registration.Refused as exc:
        return render(
            request, "portal/message.html", {"title": "Lien de confirmation", "message": exc.message}, status=400
        )
    return confirm_page(
        request,
        "Confirmer la nouvelle adresse e-mail",
        f"{data['email']} deviendra l'adresse e-mail de correspondance du dossier RPPS n° {person.rpps} "
        f"(modification faite par {data['by']}) ; l'adresse actuelle sera prévenue du changement.",
        "Confirmer cette adresse",
        reverse("portal:home"),
    )
