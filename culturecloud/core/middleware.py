from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .origin import Origin, client_ip, reset_origin, set_origin

request_log = logging.getLogger("culturecloud.request")


class RequestContextMiddleware:
    """Sets the request origin for audit entries and writes one structured log line per request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex
        origin = Origin(
            ip=client_ip(request.META),
            user_agent=request.headers.get("User-Agent", "")[:300],
            request_id=request_id,
        )
        token = set_origin(origin)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            reset_origin(token)
        elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
        response["X-Request-ID"] = request_id
        if request.path != "/healthz":
            user = getattr(request, "user", None)
            request_log.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": elapsed_ms,
                    "request_id": request_id,
                    "user_id": user.pk if user is not None and user.is_authenticated else None,
                    "ip": origin.ip,
                },
            )
        return response


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response and not request.path.startswith(
            "/api/v1/docs"
        ):
            response["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY
        response.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
        return response
