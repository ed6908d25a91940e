"""Template helpers of the workbench pages."""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from culturecloud.core.models import AuditEntry, ReviewStatus

register = template.Library()

MAX_VALUE = 80


def _show(key: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if key == "status" and value in ReviewStatus.values:
        return str(ReviewStatus(value).label)
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


@register.filter
def change_summary(entry: AuditEntry) -> list[dict[str, str]]:
    """The entry's before/after as rows {field, before, after}, keys in a stable order."""
    before = entry.before if isinstance(entry.before, dict) else {}
    after = entry.after if isinstance(entry.after, dict) else {}
    keys = list(before) + [k for k in after if k not in before]
    return [
        {
            "field": str(key),
            "before": _show(key, before.get(key)) if key in before else "",
            "after": _show(key, after.get(key)) if key in after else "",
        }
        for key in keys
    ]


@register.filter
def preview_templates(obj: Any) -> list[str]:
    """The preview of a reviewable item: workbench/preview/<app>_<model>.html if a module
    provides one, else the generic preview."""
    meta = obj._meta
    return [
        f"workbench/preview/{meta.app_label}_{meta.model_name}.html",
        "workbench/preview/_generic.html",
    ]


@register.filter
def actions_for(obj: Any, user: Any) -> list[str]:
    """The review actions `user` may take on `obj` now (no query: grants are cached)."""
    from culturecloud.core.queries import available_actions

    return available_actions(user, obj)


@register.filter
def verbose_name_of(obj: Any) -> str:
    return str(obj._meta.verbose_name)


@register.filter
def reviewer_actions_for(obj: Any, user: Any) -> list[str]:
    """The queue offers the reviewer's decisions only (editors act on their own pages)."""
    from culturecloud.core.queries import available_actions

    return [a for a in available_actions(user, obj) if a in {"approve", "reject"}]


@register.filter
def unpublish_actions_for(obj: Any, user: Any) -> list[str]:
    """The published list offers taking the item down, nothing else."""
    from culturecloud.core.queries import available_actions

    return [a for a in available_actions(user, obj) if a == "unpublish"]


@register.filter
def content_type_of(obj: Any) -> str:
    """The content type as URLs spell it: "institutions.article"."""
    from culturecloud.core.queries import model_label

    return model_label(obj)


@register.filter
def break_dots(value: Any) -> SafeString:
    """A dotted code ("institutions.article.approved") that may wrap after each dot."""
    parts = str(value or "").split(".")
    return format_html_join(mark_safe(".<wbr>"), "{}", ((part,) for part in parts))
