from django.contrib import admin, messages

from .models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Operators create keys (shown once), list them and revoke them; a key is never deleted."""

    list_display = ("name", "prefix", "created_at", "created_by", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix")
    fields = ("name",)
    actions = ["revoke"]

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return ("name",) if obj else ()

    def save_model(self, request, obj, form, change):
        if change:
            return
        created, key = ApiKey.issue(obj.name, created_by=request.user.get_username())
        obj.pk = created.pk
        messages.warning(
            request, f"Clé créée pour « {created.name} » : {key} — copiez-la maintenant, elle ne sera plus affichée."
        )

    @admin.action(description="Révoquer les clés sélectionnées")
    def revoke(self, request, queryset):
        count = queryset.revoke()
        self.message_user(request, f"{count} clé(s) révoquée(s).")
