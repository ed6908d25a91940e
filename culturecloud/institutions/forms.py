from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from culturecloud.core.errors import ServiceError

from .models import InstitutionKind, Region
from .regions import get_region


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(label=pgettext_lazy("institution", "Name"), max_length=100, required=False)
    region = forms.CharField(
        label=_("Region"),
        max_length=6,
        required=False,
        widget=forms.Select,
        help_text=_("Includes every place inside the region."),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("All kinds")), *InstitutionKind.choices],
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.selected_region: Region | None = None
        choices: list[tuple[str, str]] = [("", str(_("All regions")))]
        selected = (self.data.get("region") or "").strip() if self.is_bound else ""
        provinces = list(Region.objects.filter(level=Region.Level.PROVINCE).order_by("code"))
        inner: list[Region] = []
        if selected and len(selected) == 6 and selected.isdigit():
            region = Region.objects.filter(code=selected).first()
            if region is not None:
                parent_code = region.code if region.level < 3 else region.parent_id
                inner = list(Region.objects.filter(parent_id=parent_code).order_by("code"))
                if region.level == 3 and region.parent is not None:
                    inner.insert(0, region.parent)
        province_of = selected[:2] + "0000" if selected else ""
        for province in provinces:
            choices.append((province.code, province.name))
            if province.code == province_of:
                choices.extend((r.code, f"— {r.name}") for r in inner)
        self.fields["region"].widget.choices = choices  # type: ignore[attr-defined]

    def clean_region(self) -> str:
        code = (self.cleaned_data.get("region") or "").strip()
        if not code:
            return ""
        try:
            self.selected_region = get_region(code)
        except ServiceError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None
        return code

    def clean_q(self) -> str:
        return (self.cleaned_data.get("q") or "").strip()
