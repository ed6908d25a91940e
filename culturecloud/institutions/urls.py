from django.urls import path

from . import views

app_name = "institutions"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("<slug:code>/", views.detail, name="detail"),
    path("<slug:code>/children/", views.children, name="children"),
    path("<slug:code>/articles/<int:pk>/", views.article, name="article"),
]
