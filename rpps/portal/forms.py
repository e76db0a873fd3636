from django import forms
from dsfr.forms import DsfrBaseForm

from .models import Contract, Habilitation
from .services import IDENTIFIER_TYPES


class PortalForm(DsfrBaseForm):
    """DSFR forms that mark optional fields, as the design system now asks, and focus the first error."""

    def get_context(self):
        context = forms.Form.get_context(self)  # django-dsfr's own get_context only warns about this choice
        context["DSFR_MARK_OPTIONAL_FIELDS"] = True
        return context

    def full_clean(self):
        super().full_clean()
        if self.is_bound and self.errors:
            self.set_autofocus_on_first_error()


class StructureIdentifierForm(PortalForm):
    identifier_type = forms.ChoiceField(label="Type d'identifiant", choices=list(IDENTIFIER_TYPES.items()))
    identifier = forms.CharField(
        label="Numéro",
        max_length=20,
        help_text="FINESS : 9 caractères ; SIREN : 9 chiffres ; SIRET : 14 chiffres. Les espaces sont ignorés.",
    )


class ContractRequestForm(StructureIdentifierForm):
    identifier_type = forms.ChoiceField(
        label="Type d'identifiant de la structure",
        choices=list(IDENTIFIER_TYPES.items()),
        help_text="Une structure à plusieurs sites signe avec son FINESS juridique ou son SIREN ; "
        "un site unique peut signer avec son FINESS géographique ; une pharmacie avec son SIRET.",
    )
    representative_family_name = forms.CharField(label="Nom du représentant légal", max_length=150)
    representative_given_name = forms.CharField(label="Prénom du représentant légal", max_length=150)
    representative_national_id = forms.CharField(
        label="Identifiant national du représentant légal",
        max_length=40,
        help_text="Celui de sa carte CPx ou e-CPS : « 8 » + numéro RPPS, ou « 3 » + FINESS + numéro d'ordre (CDE).",
    )
    representative_function = forms.ChoiceField(label="Fonction", choices=Contract.Function.choices)
    representative_email = forms.EmailField(label="Adresse e-mail du représentant légal")
    representative_phone = forms.CharField(label="Téléphone du représentant légal", max_length=20, required=False)
    contact_name = forms.CharField(label="Contact administratif (nom et prénom)", max_length=200, required=False)
    contact_email = forms.EmailField(label="Adresse e-mail du contact", required=False)
    contact_phone = forms.CharField(label="Téléphone du contact", max_length=20, required=False)

    def contract_data(self) -> dict:
        names = [name for name in self.cleaned_data if name.startswith(("representative_", "contact_"))]
        return {name: self.cleaned_data[name].strip() for name in names}


class PersonSearchForm(PortalForm):
    q = forms.CharField(
        label="Rechercher la personne",
        max_length=100,
        min_length=2,
        help_text="Numéro RPPS, identifiant national, ou nom d'exercice (éventuellement suivi du prénom).",
    )


class DesignationForm(PortalForm):
    kind = forms.ChoiceField(label="Habilitation", choices=[])
    structure = forms.ChoiceField(label="Structure", choices=[])
    email = forms.EmailField(label="Adresse e-mail de la personne désignée", required=False)
    phone = forms.CharField(label="Téléphone de la personne désignée", max_length=20, required=False)
    training_date = forms.DateField(
        label="Date de la formation de gestionnaire RPPS+",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Obligatoire pour les structures sociales et médico-sociales (ESMS).",
    )
    terms = forms.BooleanField(
        label="J'ai lu et j'accepte les conditions générales d'utilisation du portail RPPS+", required=False
    )

    def __init__(self, *args, kinds, structures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, Habilitation.Kind(k).label) for k in kinds]
        self.fields["structure"].choices = structures

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("email") and not cleaned.get("phone") and not self.has_error("email"):
            self.add_error("email", "Indiquez l'adresse e-mail ou le téléphone de la personne désignée.")
        return cleaned


class HabilitationFilterForm(PortalForm):
    name = forms.CharField(label="Nom", max_length=100, required=False)
    national_id = forms.CharField(label="Identifiant national", max_length=40, required=False)
    structure = forms.CharField(
        label="Structure", max_length=100, required=False, help_text="Nom, FINESS, SIRET ou identifiant technique."
    )
    state = forms.ChoiceField(
        label="État", choices=[("", "Tous")] + list(Habilitation.State.choices), required=False, initial="ouverte"
    )


class RejectionForm(PortalForm):
    reason = forms.CharField(label="Motif du rejet (visible par le demandeur)", widget=forms.Textarea, max_length=2000)
