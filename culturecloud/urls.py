from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from culturecloud.api import api
from culturecloud.core.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("culturecloud.accounts.urls")),
    path("institutions/", include("culturecloud.institutions.urls")),
    path("workbench/", include("culturecloud.workbench.urls")),
    path("uploads/", include("culturecloud.media.urls")),
    path("search/", include("culturecloud.search.urls")),
    # resources also serves /oai and /iiif/ (open interfaces), so it is mounted at the root
    path("", include("culturecloud.resources.urls")),
    path("", include("culturecloud.portal.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
