from django.urls import path

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
]
