from django.urls import path

from . import views

app_name = "directory"
urlpatterns = [
    path("recherche/", views.search_page, name="search"),
    path("professionnel/<str:rpps>/", views.practitioner_page, name="practitioner"),
    path("professionnel/<str:rpps>/fiche.pdf", views.practitioner_pdf, name="practitioner_pdf"),
    path("structure/<str:technical_id>/", views.structure_page, name="structure"),
]
