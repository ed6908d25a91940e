from django.urls import path

app_name = "workbench"

urlpatterns: list = []
