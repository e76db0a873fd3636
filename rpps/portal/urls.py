from django.urls import path

from . import registration_views as pro
from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("connexion/", views.sign_in, name="sign_in"),
    path("connexion/retour/", views.callback, name="callback"),
    path("deconnexion/", views.sign_out, name="sign_out"),
    path("contrats/demande/", views.contract_request, name="contract_request"),
    path("contrats/<int:pk>/", views.contract_detail, name="contract"),
    path("contrats/<int:pk>/designer/", views.designate, name="designate"),
    path("habilitations/", views.habilitation_list, name="habilitations"),
    path("habilitations/<int:pk>/fermer/", views.habilitation_close, name="habilitation_close"),
    path("professionnels/", pro.professionals, name="professionals"),
    path("professionnels/nouveau/", pro.professional_new, name="professional_new"),
    path("professionnels/<str:rpps>/", pro.professional_detail, name="professional"),
    path("situations/<int:pk>/modifier/", pro.situation_change, name="situation_change"),
    path("situations/<int:pk>/fermer/", pro.situation_close, name="situation_close"),
    path("demandes/", pro.registration_requests, name="registration_requests"),
    path("demandes/<int:pk>/", pro.registration_request, name="registration_request"),
    path("demandes/<int:pk>/instruire/", pro.instruct, name="instruct"),
    path("inscription/", pro.self_register, name="self_register"),
    path("mon-dossier/", pro.my_record, name="my_record"),
    path("import/", pro.bulk_upload, name="bulk_upload"),
    path("import/modele.<str:fmt>", pro.bulk_template, name="bulk_template"),
    path("import/<int:pk>/", pro.bulk_report, name="bulk_report"),
    path("import/<int:pk>/rapport.csv", pro.bulk_report_csv, name="bulk_report_csv"),
]
