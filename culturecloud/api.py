"""The HTTP API at /api/v1/: one NinjaAPI, one error shape, each app's router.

Conventions every endpoint follows (docs/architecture.md):
- errors: 4xx bodies are {"code", "message", "fields"} (`core.errors.ServiceError`),
  messages in the request's language;
- lists: `@paginate` (page, page_size ≤ 100) → {"items": [...], "count": n};
- public GETs: `core.http.public(response)` sets Cache-Control; ConditionalGetMiddleware adds
  the ETag and answers 304;
- auth: the site's session (with CSRF) or `Authorization: Bearer <token>`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from culturecloud.accounts.auth import api_auth
from culturecloud.accounts.endpoints import router as accounts_router
from culturecloud.core.endpoints import router as core_router
from culturecloud.core.errors import RateLimited, ServiceError
from culturecloud.institutions.endpoints import router as institutions_router
from culturecloud.media.endpoints import router as media_router
from culturecloud.resources.endpoints import router as resources_router
from culturecloud.search.endpoints import router as search_router


class ErrorOut(Schema):
    """The body of every 4xx answer."""

    code: str = Field(description="Stable machine-readable code, e.g. 'permission_denied'.")
    message: str = Field(description="What went wrong, in the request's language.")
    fields: dict[str, list[str]] = Field(description="Messages per field; may be empty.")


class CultureCloudAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        """Documents the one error shape as every operation's 4XX answer."""
        schema = super().get_openapi_schema(**kwargs)
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas["Error"] = ErrorOut.model_json_schema()
        error = {
            "description": "Refused: the error shape (see culturecloud.core.errors).",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                operation.setdefault("responses", {}).setdefault("4XX", error)
        return schema


api = CultureCloudAPI(
    title="CultureCloud API",
    version="1",
    description="公共文化云 CultureCloud public and staff API.",
    urls_namespace="api",
    auth=api_auth,
)


def error_response(request: HttpRequest, error: ServiceError) -> HttpResponse:
    response = api.create_response(request, error.as_dict(), status=error.status)
    if isinstance(error, RateLimited):
        response["Retry-After"] = str(error.retry_after)
    return response


@api.exception_handler(ServiceError)
def on_service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    return error_response(request, exc)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        # ("body", "<param>", "field") / ("query", "field"): drop the source and, for a body
        # schema, the parameter name — but never a field that happens to be called "body".
        location = [str(part) for part in error.get("loc", ())]
        sources = ("body", "query", "path", "form", "file", "header", "cookie")
        if location and location[0] in sources:
            source = location.pop(0)
            if source in ("body", "form") and len(location) > 1:
                location.pop(0)
        fields.setdefault(".".join(location) or "__all__", []).append(
            _("%(msg)s") % {"msg": error.get("msg", "")}
        )
    return error_response(
        request,
        ServiceError(
            _("Some fields are not valid."), code="validation_error", fields=fields, status=422
        ),
    )


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        request, ServiceError(_("Please log in first."), code="not_authenticated", status=401)
    )


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, ServiceError(_("Not found."), code="not_found", status=404))


@api.exception_handler(DjangoPermissionDenied)
def on_forbidden(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:
    return error_response(
        request,
        ServiceError(
            _("You do not have permission to do this."), code="permission_denied", status=403
        ),
    )


@api.exception_handler(MultiPartParserError)
@api.exception_handler(BadRequest)
@api.exception_handler(SuspiciousOperation)
def on_unreadable_request(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A body Django can't parse (a multipart Content-Type without a boundary, too many
    fields, too large): the error shape, not a 500 (Ninja lets these through)."""
    if isinstance(exc, RequestDataTooBig):
        error = ServiceError(_("The request is too large."), code="too_large", status=413)
    else:
        error = ServiceError(_("The request could not be read."), code="bad_request", status=400)
    return error_response(request, error)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error_response(
        request, ServiceError(str(exc), code="http_error", status=exc.status_code)
    )


api.add_router("/", core_router)
api.add_router("/auth", accounts_router)
api.add_router("/institutions", institutions_router)
api.add_router("/media", media_router)
api.add_router("/search", search_router)
api.add_router("/resources", resources_router)
