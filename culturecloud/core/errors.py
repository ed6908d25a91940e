"""The one error type services raise for a refused request, and its one JSON shape.

Services raise `ServiceError` (or a subclass) with a stable machine code and a
translated message; the API turns it into
    {"code": "...", "message": "...", "fields": {"field": ["message", ...]}}
with its HTTP status, and pages show `message` (and the field errors) in the form.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class ServiceError(Exception):
    status = 400
    default_code = "invalid"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
        status: int | None = None,
    ) -> None:
        self.message = str(message if message is not None else _("The request is not valid."))
        self.code = code or self.default_code
        self.fields = {k: [str(m) for m in v] for k, v in (fields or {}).items()}
        if status is not None:
            self.status = status
        super().__init__(self.message)

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "fields": self.fields}


class PermissionDenied(ServiceError):
    status = 403
    default_code = "permission_denied"

    def __init__(self, message: str | None = None, **kwargs) -> None:
        super().__init__(
            message if message is not None else str(_("You do not have permission to do this.")),
            **kwargs,
        )


class NotFound(ServiceError):
    status = 404
    default_code = "not_found"

    def __init__(self, message: str | None = None, **kwargs) -> None:
        super().__init__(message if message is not None else str(_("Not found.")), **kwargs)


class Conflict(ServiceError):
    status = 409
    default_code = "conflict"


class RateLimited(ServiceError):
    status = 429
    default_code = "rate_limited"

    def __init__(self, message: str | None = None, *, retry_after: int = 60, **kwargs) -> None:
        self.retry_after = retry_after
        super().__init__(
            message
            if message is not None
            else str(_("Too many requests. Please try again later.")),
            **kwargs,
        )


def field_error(field: str, message: str, code: str = "invalid") -> ServiceError:
    return ServiceError(message, code=code, fields={field: [message]})
