from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .segmentation import MAX_QUERY_LENGTH
from .types import Sort

SORT_LABELS = {
    Sort.RELEVANCE: _("Relevance"),
    Sort.NEWEST: _("Newest"),
    Sort.VIEWS: _("Most viewed"),
}


class SearchForm(forms.Form):
    """The search page's parameters (the facet filters come as plain query parameters)."""

    q = forms.CharField(
        label=_("Search words"),
        required=False,
        max_length=MAX_QUERY_LENGTH,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text=_("Every word must appear. Traditional characters find simplified text."),
    )
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=list(SORT_LABELS.items()))
    page = forms.IntegerField(required=False, min_value=1, max_value=1000)
    year = forms.IntegerField(required=False, min_value=1, max_value=9999)
