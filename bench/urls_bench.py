"""The application's URLs plus the bare Django JSON view that is our practical ceiling."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path


def ceiling(request: HttpRequest) -> JsonResponse:
    """No database, no cache, no template: what any Django view costs on this stack."""
    return JsonResponse({"ok": True})


urlpatterns = [
    path("bench/ceiling", ceiling, name="bench_ceiling"),
    path("", include("culturecloud.urls")),
]
