from django.urls import path

from . import views

app_name = "workbench"

urlpatterns = [
    path("", views.home, name="home"),
    path("queue/", views.queue, name="queue"),
    path("published/", views.published, name="published"),
    path("review/<str:content_type>/<int:pk>/", views.review_item, name="review_item"),
    path(
        "review/<str:content_type>/<int:pk>/<slug:action>/",
        views.review_action,
        name="review_action",
    ),
    path("audit/", views.audit, name="audit"),
    path("members/", views.members, name="members"),
    path("members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("profile/", views.profile, name="profile"),
    path("articles/", views.articles, name="articles"),
    path("articles/new/", views.article_new, name="article_new"),
    path("articles/<int:pk>/", views.article_edit, name="article_edit"),
]
