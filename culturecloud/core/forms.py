from __future__ import annotations

from django import forms
from django.utils.translation import gettext_noop

from .errors import ServiceError

# Django appends gettext(":") to every form label. Its own Simplified Chinese catalogue keeps
# the ASCII colon; ours comes first (LOCALE_PATHS) and gives the full-width "：" of Chinese
# typography. Marked here so that makemessages keeps the entry.
LABEL_SUFFIX = gettext_noop(":")


def add_service_error(form: forms.BaseForm, error: ServiceError) -> None:
    """Show a service's refusal on the form: field errors by field, the rest on top."""
    placed = False
    for field, messages in error.fields.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)
