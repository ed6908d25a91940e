"""Pages of the library. Mounted at the site root (the open interfaces /oai and /iiif/ of
this app are added by oai.py and iiif.py), so every page path starts with "resources/"."""

from django.urls import path

from . import iiif, manage, oai, views

app_name = "resources"

urlpatterns = [
    path("resources/", views.index, name="index"),
    path("resources/<int:pk>/", views.detail, name="detail"),
    path("resources/<int:pk>/favorite", views.favorite, name="favorite"),
    path("resources/<int:pk>/comments", views.comment, name="comment"),
    path("resources/favorites/", views.favorites, name="favorites"),
    path("resources/collections/", views.collections, name="collections"),
    path("resources/collections/<int:pk>/", views.collection, name="collection"),
    # staff
    path("resources/manage/", manage.resource_list, name="manage"),
    path("resources/manage/new/", manage.resource_new, name="manage_new"),
    path("resources/manage/<int:pk>/", manage.resource_edit, name="manage_edit"),
    path(
        "resources/manage/<int:pk>/media/<uuid:asset>/retry",
        manage.retry_media,
        name="manage_retry",
    ),
    path(
        "resources/manage/<int:pk>/images/<int:image>/remove",
        manage.remove_image,
        name="manage_remove_image",
    ),
    path("resources/manage/comments/", manage.comment_queue, name="manage_comments"),
    path(
        "resources/manage/comments/<int:pk>/<slug:decision>",
        manage.comment_decide,
        name="manage_comment_decide",
    ),
    path("resources/manage/collections/", manage.collection_list, name="manage_collections"),
    path(
        "resources/manage/collections/new/",
        manage.collection_new,
        name="manage_collection_new",
    ),
    path(
        "resources/manage/collections/<int:pk>/",
        manage.collection_edit,
        name="manage_collection_edit",
    ),
]

# intangible heritage: public project page, staff pages (resources/heritage.py)
from . import heritage  # noqa: E402

urlpatterns += [
    path("resources/heritage/<int:pk>/", heritage.project_detail, name="heritage_project"),
    path("resources/manage/heritage/", heritage.project_list, name="manage_heritage"),
    path("resources/manage/heritage/new/", heritage.project_new, name="manage_heritage_new"),
    path("resources/manage/heritage/<int:pk>/", heritage.project_edit, name="manage_heritage_edit"),
    path(
        "resources/manage/heritage/inheritors/new/",
        heritage.inheritor_new,
        name="manage_inheritor_new",
    ),
    path(
        "resources/manage/heritage/inheritors/<int:pk>/",
        heritage.inheritor_edit,
        name="manage_inheritor_edit",
    ),
    # open interfaces
    path("oai", oai.endpoint, name="oai"),
    path("iiif/manifest/<str:ref>", iiif.manifest, name="iiif_manifest"),
    path("iiif/collection/<int:pk>", iiif.collection, name="iiif_collection"),
    path("iiif/<uuid:identifier>", iiif.base, name="iiif_base"),
    path("iiif/<uuid:identifier>/info.json", iiif.info, name="iiif_info"),
    path(
        "iiif/<uuid:identifier>/<str:region>/<str:size>/<str:rotation>/<str:quality>.<str:fmt>",
        iiif.image,
        name="iiif_image",
    ),
]
