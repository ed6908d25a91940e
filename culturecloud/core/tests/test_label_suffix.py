"""Form labels end with the colon of the page's language."""

from django import forms
from django.utils import translation


class NameForm(forms.Form):
    name = forms.CharField(label="Name")


def test_labels_end_with_the_full_width_colon_in_chinese_and_the_ascii_one_in_english():
    with translation.override("zh-hans"):
        assert NameForm()["name"].label_tag().endswith("Name：</label>")
    with translation.override("en"):
        assert NameForm()["name"].label_tag().endswith("Name:</label>")
