from django.urls import path

from . import views

app_name = "devpsc"
urlpatterns = [
    path(".well-known/openid-configuration", views.discovery, name="discovery"),
    path("auth", views.authorize, name="authorize"),
    path("token", views.token, name="token"),
    path("userinfo", views.userinfo, name="userinfo"),
    path("jwks", views.jwks, name="jwks"),
    path("logout", views.logout, name="logout"),
]
