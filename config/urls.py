from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("portail/", include("rpps.portal.urls")),
    path("fhir/v2/", include("rpps.fhir.urls")),
    path("", include("rpps.publication.urls")),
    path("", include("rpps.directory.urls")),
    path("", include("rpps.www.urls")),
]
if settings.DEV_PSC_ENABLED:
    urlpatterns.append(path("dev-psc/", include("rpps.devpsc.urls")))
