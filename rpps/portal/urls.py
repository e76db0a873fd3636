from django.urls import path

from . import professional_views, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("connexion/", views.sign_in, name="sign_in"),
    path("connexion/retour/", views.callback, name="callback"),
    path("deconnexion/", views.sign_out, name="sign_out"),
    path("contrats/demande/", views.contract_request, name="contract_request"),
    path("contrats/<int:pk>/", views.contract_detail, name="contract"),
    path("contrats/<int:pk>/sites/<int:site_pk>/retirer/", views.contract_site_remove, name="contract_site_remove"),
    path("contrats/<int:pk>/designer/", views.designate, name="designate"),
    path("habilitations/", views.habilitation_list, name="habilitations"),
    path("habilitations/<int:pk>/fermer/", views.habilitation_close, name="habilitation_close"),
    path("habilitations/<int:pk>/rouvrir/", views.habilitation_reopen, name="habilitation_reopen"),
    path("professionnels/", professional_views.professionals, name="professionals"),
    path("professionnels/nouveau/", professional_views.professional_new, name="professional_new"),
    path("professionnels/<str:rpps>/", professional_views.professional_detail, name="professional"),
    path("situations/<int:pk>/modifier/", professional_views.situation_change, name="situation_change"),
    path("situations/<int:pk>/fermer/", professional_views.situation_close, name="situation_close"),
    path("situations/<int:pk>/retirer/", professional_views.situation_withdraw, name="situation_withdraw"),
    path("demandes/", professional_views.registration_requests, name="registration_requests"),
    path("demandes/<int:pk>/", professional_views.registration_request, name="registration_request"),
    path("demandes/<int:pk>/retirer/", professional_views.registration_withdraw, name="registration_withdraw"),
    path("demandes/<int:pk>/instruire/", professional_views.instruct, name="instruct"),
    path("inscription/", professional_views.self_register, name="self_register"),
    path("mon-dossier/", professional_views.my_record, name="my_record"),
    path("adresse-email/<str:token>/", professional_views.confirm_email, name="confirm_email"),
    path("import/", professional_views.bulk_upload, name="bulk_upload"),
    path("import/modele.<str:fmt>", professional_views.bulk_template, name="bulk_template"),
    path("import/<int:pk>/", professional_views.bulk_report, name="bulk_report"),
    path("import/<int:pk>/rapport.csv", professional_views.bulk_report_csv, name="bulk_report_csv"),
]
