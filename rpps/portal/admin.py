"""Operator console for the portal: review contract requests, see every habilitation, read the audit log.

Nothing here edits a contract or a habilitation directly: decisions go through services.py, which
checks the state and writes the audit event.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html

from rpps.registry.admin import FoldedSearch
from rpps.runtime.admin import ReadOnlyAdmin

from . import services
from .audit import Who
from .forms import RejectionForm
from .models import Account, AuditEvent, Contract, ContractSite, Habilitation


class ContractSiteInline(admin.TabularInline):
    model = ContractSite
    extra = 0
    fields = ("structure", "added_by", "added_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Contract)
class ContractAdmin(FoldedSearch, ReadOnlyAdmin):
    list_display = ("pk", "structure", "state", "representative_family_name", "requested_at", "decided_at")
    list_filter = ("state", "representative_function")
    search_fields = ("=structure__technical_id", "=representative_national_id")
    folded_search_fields = ("structure__name", "representative_family_name")
    list_select_related = ("structure",)
    inlines = [ContractSiteInline]
    change_form_template = "admin/portal/contract/change_form.html"
    exclude = ("evidence",)  # shown through evidence_document: the file is served by the console, never by URL
    readonly_fields = ("evidence_document",)

    @admin.display(description="document justificatif")
    def evidence_document(self, contract):
        if not contract.evidence:
            return "Aucun document joint (demande antérieure au justificatif obligatoire, ou faite par un opérateur)."
        link = reverse("admin:portal_contract_evidence", args=[contract.pk])
        return format_html('<a href="{}">Ouvrir le document joint</a> ({})', link, contract.get_evidence_kind_display())

    def evidence_view(self, request, pk):
        """The document, to operators who may read contracts (it is never public: no storage URL)."""
        contract = get_object_or_404(Contract, pk=pk)
        if not self.has_view_permission(request, contract) or not contract.evidence:
            raise PermissionDenied
        suffix = contract.evidence.name.rsplit(".", 1)[-1]
        return FileResponse(
            contract.evidence.open("rb"),
            as_attachment=suffix == "pdf",
            filename=f"contrat-{contract.pk}-justificatif.{suffix}",  # its content type guessed from it
        )

    def get_urls(self):
        own = [
            path(
                "<int:pk>/justificatif/",
                self.admin_site.admin_view(self.evidence_view),
                name="portal_contract_evidence",
            ),
            path("<int:pk>/approuver/", self.admin_site.admin_view(self.approve_view), name="portal_contract_approve"),
            path("<int:pk>/rejeter/", self.admin_site.admin_view(self.reject_view), name="portal_contract_reject"),
            path(
                "<int:pk>/resilier/", self.admin_site.admin_view(self.terminate_view), name="portal_contract_terminate"
            ),
        ]
        return own + super().get_urls()

    @staticmethod
    def _may_decide(request):
        # Deciding is changing the contract's state: Django's "change contract" permission.
        if not request.user.has_perm("portal.change_contract"):
            raise PermissionDenied

    def _decide(self, request, pk, action, success, confirmation):
        self._may_decide(request)
        contract = get_object_or_404(Contract.objects.select_related("structure"), pk=pk)
        if request.method != "POST":  # the confirmation step: what will happen, then the button
            label, consequence = confirmation
            context = {
                **self.admin_site.each_context(request),
                "title": f"{label} n° {pk} ?",
                "label": label,
                "consequence": consequence.format(
                    name=f"{contract.representative_given_name} {contract.representative_family_name}",
                    national_id=contract.representative_national_id,
                    structure=contract.structure.name,
                ),
                "contract": contract,
                "opts": self.model._meta,
                "back": reverse("admin:portal_contract_change", args=[pk]),
            }
            return render(request, "admin/portal/contract/confirm.html", context)
        try:
            action(Who.from_request(request), contract)
        except services.Refused as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, success, messages.SUCCESS)
        return redirect("admin:portal_contract_change", pk)

    def approve_view(self, request, pk):
        return self._decide(
            request,
            pk,
            services.approve_contract,
            "Contrat approuvé : le représentant légal est habilité.",
            (
                "Approuver la demande",
                "{name} ({national_id}) sera habilité(e) représentant(e) légal(e) de {structure} "
                "dès maintenant et en sera informé(e) par e-mail.",
            ),
        )

    def terminate_view(self, request, pk):
        return self._decide(
            request,
            pk,
            services.terminate_contract,
            "Contrat résilié : ses habilitations sont fermées.",
            (
                "Résilier le contrat",
                "Le contrat de {structure} prendra fin dès maintenant : toutes ses habilitations "
                "seront fermées et plus personne ne pourra y enregistrer de professionnel. Cela ne peut pas être annulé.",
            ),
        )

    def reject_view(self, request, pk):
        self._may_decide(request)
        contract = get_object_or_404(Contract, pk=pk)
        form = RejectionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.reject_contract(Who.from_request(request), contract, form.cleaned_data["reason"])
            except services.Refused as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, "Demande rejetée ; le demandeur voit le motif.", messages.SUCCESS)
                return redirect("admin:portal_contract_change", pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Rejeter la demande n° {pk}",
            "form": form,
            "contract": contract,
            "opts": self.model._meta,
            "back": reverse("admin:portal_contract_change", args=[pk]),
        }
        return render(request, "admin/portal/contract/reject.html", context)


@admin.register(Habilitation)
class HabilitationAdmin(FoldedSearch, ReadOnlyAdmin):
    list_display = ("family_name", "given_name", "national_id", "kind", "structure", "state", "opened_at", "closed_at")
    list_filter = ("state", "kind")
    search_fields = ("=national_id", "=structure__technical_id")
    folded_search_fields = ("family_name", "given_name", "structure__name")
    list_select_related = ("structure",)
    actions = ["close_selected"]

    def has_close_permission(self, request):
        return request.user.has_perm("portal.change_habilitation")

    @admin.action(description="Fermer les habilitations sélectionnées", permissions=["close"])
    def close_selected(self, request, queryset):
        who = Who.from_request(request)
        closed = 0
        for habilitation in queryset.filter(state=Habilitation.State.OPEN):
            services.close_habilitation(who, habilitation, operator=True)
            closed += 1
        self.message_user(request, f"{closed} habilitation(s) fermée(s).", messages.SUCCESS)


@admin.register(Account)
class AccountAdmin(FoldedSearch, ReadOnlyAdmin):
    list_display = ("family_name", "given_name", "national_id", "last_acr", "created_at")
    search_fields = ("=national_id",)
    folded_search_fields = ("family_name", "given_name")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        "at",
        "actor",
        "action",
        "outcome",
        "structure_technical_id",
        "structure_name",
        "target",
        "ip_address",
    )
    list_filter = ("action", "outcome", ("at", admin.DateFieldListFilter))
    search_fields = ("actor", "actor_national_id", "structure_technical_id", "structure_name", "target", "ip_address")
    date_hierarchy = "at"
