from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "RPPS — administration du répertoire"
admin.site.site_title = "Administration RPPS"
admin.site.index_title = "Répertoire partagé des professionnels"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("rpps.www.urls")),
]
