from django.contrib import admin

from .models import Concept, Table


class ConceptInline(admin.TabularInline):
    model = Concept
    extra = 0
    fields = ["code", "label", "status", "end_date"]
    readonly_fields = fields
    can_delete = False


@admin.register(Table)
class TableAdmin(admin.ModelAdmin):
    list_display = ["name", "label", "loaded_at"]
    search_fields = ["name", "label"]
    readonly_fields = ["name", "label", "sources", "note", "loaded_at"]
    inlines = [ConceptInline]

    def has_add_permission(self, request):
        return False  # tables come from the loader (load_nomenclatures), never typed by hand


@admin.register(Concept)
class ConceptAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "table", "status", "end_date"]
    list_filter = ["status", "table"]
    search_fields = ["code", "label"]
    readonly_fields = ["table", "code", "label", "status", "end_date", "code_system"]

    def has_add_permission(self, request):
        return False
