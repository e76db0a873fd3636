"""Operators' back office over the registry, in French. Writes are recorded by ActorMiddleware."""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from rpps.nomenclatures import lookup
from rpps.runtime.admin import ReadOnlyAdmin

from . import folding
from .history import person_history
from .models import (
    Activity,
    Authorization,
    Card,
    ChangeRecord,
    Diploma,
    Exercise,
    Expertise,
    Mailbox,
    Person,
    Structure,
)


class FoldedSearch:
    """The console's search as people type: names case-, accent- and punctuation-blind
    (``folded_search_fields``, folding.name_search), identifiers exactly (``search_fields`` with "=")."""

    folded_search_fields: tuple[str, ...] = ()

    def get_search_results(self, request, queryset, search_term):
        exact, duplicates = super().get_search_results(request, queryset, search_term)
        if not search_term.strip() or not self.folded_search_fields:
            return exact, duplicates
        named = queryset.filter(folding.name_search(search_term, *self.folded_search_fields))
        return (exact | named).distinct(), True


class CodedFieldsMixin:
    """Coded fields are picked from their nomenclature (validation still happens in the model)."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        table = getattr(db_field.model, "CODED_FIELDS", {}).get(db_field.name)
        if table is None:
            return super().formfield_for_dbfield(db_field, request, **kwargs)
        # Deprecated codes are listed so that old records display; choosing one for a new value is refused.
        choices = [("", "---------")] + [
            (e.code, f"{e.code} — {e.label}" + ("" if e.is_active else " (obsolète)"))
            for e in lookup.entries(table, active_only=False)
        ]
        return forms.CharField(
            label=db_field.verbose_name[:1].upper() + db_field.verbose_name[1:],
            required=not db_field.blank,
            widget=forms.Select(choices=choices),
            help_text=lookup.table_label(table),
        )


CIVIL_STATUS_FIELDS = [
    "civility_code",
    "sex_code",
    "birth_name",
    "given_names",
    "usage_name",
    "birth_date",
    "birth_place_code",
    "birth_city_abroad",
    "nationality_code",
]
CONTACT_FIELDS = ["email", "phone"]
# What an operator types for a person (the RPPS number is allocated, merges set merged_into).
PERSON_INPUT_FIELDS = CIVIL_STATUS_FIELDS + CONTACT_FIELDS


class NoDeleteMixin:
    def has_delete_permission(self, request, obj=None):
        return False  # registry objects are closed (end dates), never deleted


class ExerciseInline(CodedFieldsMixin, admin.StackedInline):
    model = Exercise
    extra = 0
    show_change_link = True
    can_delete = False


class CodedInline(CodedFieldsMixin, admin.TabularInline):
    extra = 0


class MailboxInline(CodedInline):
    model = Mailbox
    fk_name = "person"
    fields = ["address", "type_code", "service", "dematerialization", "red_list"]


class CardInline(CodedInline):
    model = Card
    can_delete = False


@admin.register(Person)
class PersonAdmin(FoldedSearch, CodedFieldsMixin, NoDeleteMixin, admin.ModelAdmin):
    list_display = ["rpps", "birth_name", "given_names", "usage_name", "birth_date", "updated_at"]
    search_fields = ["=rpps"]
    folded_search_fields = ("birth_name", "usage_name", "given_names", "exercises__last_name")
    list_filter = ["sex_code"]
    readonly_fields = ["rpps", "merged_into", "created_at", "updated_at", "history"]
    inlines = [ExerciseInline, MailboxInline, CardInline]
    fieldsets = [
        ("Identifiant", {"fields": ["rpps", "merged_into"]}),
        ("État civil (privé)", {"fields": CIVIL_STATUS_FIELDS}),
        ("Coordonnées de correspondance (privées)", {"fields": CONTACT_FIELDS}),
        ("Historique", {"fields": ["created_at", "updated_at", "history"]}),
    ]

    @admin.display(description="modifications")
    def history(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        rows = person_history(obj.pk)
        return format_html(
            "<table><tr><th>date</th><th>auteur</th><th>action</th><th>objet</th><th>motif</th><th>changements</th></tr>{}</table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        r.at.strftime("%d/%m/%Y %H:%M"),
                        r.actor_label,
                        r.get_action_display(),
                        r.object_label,
                        r.object_id,
                        r.reason,
                        ", ".join(sorted((r.after or r.before or {}).keys())),
                    )
                    for r in rows
                ),
            ),
        )

    def has_add_permission(self, request):
        # A person is created only through identity resolution (rpps.identity registers the add view).
        return False


class ExpertiseInline(CodedInline):
    model = Expertise


class DiplomaInline(CodedInline):
    model = Diploma


class AuthorizationInline(CodedInline):
    model = Authorization


class ActivityInline(CodedInline):
    model = Activity
    can_delete = False
    autocomplete_fields = ["structure"]


@admin.register(Exercise)
class ExerciseAdmin(FoldedSearch, CodedFieldsMixin, NoDeleteMixin, admin.ModelAdmin):
    list_display = ["last_name", "first_name", "profession_code", "category_code", "person_link", "updated_at"]
    search_fields = ["=person__rpps"]
    folded_search_fields = ("last_name", "first_name")
    list_filter = ["profession_code", "category_code"]
    raw_id_fields = ["person"]
    inlines = [ExpertiseInline, DiplomaInline, AuthorizationInline, ActivityInline]

    @admin.display(description="personne")
    def person_link(self, obj):
        url = reverse("admin:registry_person_change", args=[obj.person_id])
        return format_html('<a href="{}">{}</a>', url, obj.person.rpps)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("person")


@admin.register(Structure)
class StructureAdmin(FoldedSearch, CodedFieldsMixin, NoDeleteMixin, admin.ModelAdmin):
    list_display = ["technical_id", "name", "commune_label", "sector_code", "is_legal_entity", "updated_at"]
    search_fields = ["=technical_id", "=finess", "=siret"]
    folded_search_fields = ("name", "trade_name", "commune_label")
    list_filter = ["is_legal_entity", "sector_code"]
    readonly_fields = ["technical_id", "created_at", "updated_at"]
    raw_id_fields = ["legal_entity"]


@admin.register(Activity)
class ActivityAdmin(CodedFieldsMixin, NoDeleteMixin, admin.ModelAdmin):
    list_display = ["exercise", "structure", "mode_code", "role_code", "start_date", "end_date"]
    list_filter = ["mode_code", "genre_code"]
    raw_id_fields = ["exercise", "structure"]
    list_select_related = ["exercise", "structure"]
    search_fields = ["=exercise__person__rpps", "=structure__technical_id"]


@admin.register(Mailbox)
class MailboxAdmin(CodedFieldsMixin, admin.ModelAdmin):
    list_display = ["address", "type_code", "person", "structure", "red_list"]
    list_select_related = ["person", "structure"]  # one query for the page, not one per row
    search_fields = ["address"]
    list_filter = ["type_code", "red_list"]
    raw_id_fields = ["person", "structure"]


@admin.register(Card)
class CardAdmin(CodedFieldsMixin, NoDeleteMixin, admin.ModelAdmin):
    list_display = ["number", "type_code", "person", "valid_from", "valid_until", "opposition_date"]
    list_select_related = ["person"]
    search_fields = ["=number", "=person__rpps"]
    list_filter = ["type_code"]
    raw_id_fields = ["person"]


@admin.register(ChangeRecord)
class ChangeRecordAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_label", "action", "object_type", "object_id", "person_id", "reason"]
    list_filter = ["action", "actor_kind", "object_type"]
    search_fields = ["=person_id", "=object_id", "actor_label"]
