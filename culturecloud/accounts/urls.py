from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/code/", views.send_code_view, name="send_code"),
    path("logout/", views.logout_view, name="logout"),
    path("signup/", views.signup_view, name="signup"),
    path("me/", views.me_view, name="me"),
    path("me/profile/", views.profile_view, name="profile"),
    path("me/password/", views.password_view, name="password"),
    path("me/realname/", views.realname_view, name="realname"),
    path("me/tokens/", views.api_tokens_view, name="api_tokens"),
    path("me/tokens/<int:pk>/revoke/", views.api_token_revoke_view, name="api_token_revoke"),
    path("me/export/", views.export_view, name="export"),
    path("me/delete/", views.delete_view, name="delete"),
]
