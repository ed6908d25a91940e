from django.urls import path

from . import views

app_name = "media"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("<uuid:pk>/", views.detail, name="detail"),
    path("<uuid:pk>/retry", views.retry, name="retry"),
]
