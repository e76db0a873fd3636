from django.urls import path

from . import views

app_name = "publication"
urlpatterns = [
    path("annuaire-sante-webservices/V300/services/extraction/<str:name>", views.extraction, name="extraction"),
    path("extractions/", views.listing, name="listing"),
    path("extractions/<str:stamp>/<str:filename>.zip", views.publication_zip_named, name="zip"),
    path("extractions/<str:stamp>/<str:filename>.txt", views.publication_txt_named, name="txt"),
]
