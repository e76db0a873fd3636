from django.urls import path, re_path

from . import bundles, export_api, views

app_name = "fhir"
TYPES = "(?P<resource_type>Practitioner|PractitionerRole|Organization)"
urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path("_page", bundles.page, name="page"),
    path("$export", export_api.export_start, name="export"),
    path("$export-status/<uuid:export_id>", export_api.export_status, name="export_status"),
    path("$export-file/<uuid:export_id>/<str:name>", export_api.export_file, name="export_file"),
    re_path(rf"^{TYPES}/_search$", bundles.search, name="search_post"),
    re_path(rf"^{TYPES}/(?P<resource_id>[^/]+)$", views.read, name="read"),
    re_path(rf"^{TYPES}/(?P<resource_id>[^/]+)/_history$", views.history, name="history"),
    re_path(rf"^{TYPES}/(?P<resource_id>[^/]+)/_history/(?P<vid>[^/]+)$", views.vread, name="vread"),
    re_path(rf"^{TYPES}$", bundles.search, name="search"),
    re_path(r"^(?P<rest>.*)$", views.unknown),
]
