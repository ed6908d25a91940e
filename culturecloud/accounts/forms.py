"""Forms of the account pages. They only shape input; services validate and decide."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from .models import AccountKind, Interest

PHONE_ATTRS = {
    "autocomplete": "tel-national",
    "inputmode": "tel",
    "maxlength": "20",
}


def policy_links(*, anchor: str = "") -> SafeString:
    """Links to the user agreement and the privacy policy, for the help text of a consent."""
    return format_html(
        gettext("Read the {terms} and the {privacy}."),
        terms=format_html(
            '<a href="{}">{}</a>', reverse("portal:terms"), gettext("user agreement")
        ),
        privacy=format_html(
            '<a href="{}{}">{}</a>', reverse("portal:privacy"), anchor, gettext("privacy policy")
        ),
    )


class CodeLoginForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=32,
        widget=forms.TextInput(attrs=PHONE_ATTRS),
        help_text=_("Mainland China mobile number, 11 digits."),
    )
    code = forms.CharField(
        label=_("Verification code"),
        max_length=12,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": "6"}
        ),
        help_text=_("The 6-digit code we send you by SMS."),
    )
    accept_terms = forms.BooleanField(
        label=_("I have read and accept the user agreement and the privacy policy."),
        required=False,
        error_messages={
            "required": _(
                "Please read and accept the user agreement and privacy policy to sign up."
            )
        },
        help_text=_("Needed the first time you use this number (sign-up)."),
    )

    def __init__(self, *args, require_terms: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        terms = self.fields["accept_terms"]
        if require_terms:
            terms.required = True
            terms.help_text = policy_links()
        else:
            terms.help_text = format_html(
                "{} {}",
                gettext("Needed the first time you use this number (sign-up)."),
                policy_links(),
            )


class PasswordLoginForm(forms.Form):
    identifier = forms.CharField(
        label=_("Mobile number or username"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ProfileForm(forms.Form):
    nickname = forms.CharField(label=_("Nickname"), max_length=40, required=False)
    avatar = forms.FileField(
        label=_("Avatar"),
        required=False,
        help_text=_("JPEG, PNG, WebP or GIF image."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}
        ),
    )
    region = forms.CharField(
        label=_("Region code"),
        max_length=6,
        required=False,
        help_text=_("Six-digit administrative division code, e.g. 440117."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "maxlength": "6"}),
    )
    interests = forms.MultipleChoiceField(
        label=_("Interests"),
        choices=Interest.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class KindForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Account kind"),
        choices=[
            (AccountKind.CITIZEN, AccountKind.CITIZEN.label),
            (AccountKind.SUPPLIER, _("Supplier (enterprise or social organisation)")),
            (AccountKind.OVERSEAS, AccountKind.OVERSEAS.label),
        ],
        widget=forms.RadioSelect,
    )
    organisation_name = forms.CharField(
        label=_("Organisation name"),
        max_length=120,
        required=False,
        help_text=_("Needed for suppliers and overseas institutions."),
    )


class PasswordForm(forms.Form):
    old_password = forms.CharField(
        label=_("Current password"),
        max_length=128,
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_("New password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits, not a common password."),
    )

    def __init__(self, *args, has_password: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not has_password:
            del self.fields["old_password"]


class RealNameForm(forms.Form):
    name = forms.CharField(
        label=pgettext_lazy("person", "Name"),
        max_length=60,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        help_text=_("As on your resident identity card."),
    )
    id_number = forms.CharField(
        label=_("Resident ID number"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "maxlength": "18"}),
        help_text=_("18 characters; the last may be X."),
    )
    consent = forms.BooleanField(
        label=_(
            "I agree that CultureCloud processes my name and ID number, which are sensitive "
            "personal information, to verify my identity, as described in the privacy policy."
        ),
        required=True,
        error_messages={
            "required": _(
                "Please agree to the processing of your ID number for real-name verification."
            )
        },
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["consent"].help_text = policy_links(anchor="#real-name")


class ApiTokenForm(forms.Form):
    EXPIRY_CHOICES = [
        ("", _("Never (until I revoke it)")),
        ("30", _("After 30 days")),
        ("90", _("After 90 days")),
        ("365", _("After one year")),
    ]

    name = forms.CharField(
        label=_("Token name"),
        max_length=60,
        help_text=_("What the token is for, e.g. the app that uses it."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    expires_in_days = forms.TypedChoiceField(
        label=_("Expires"),
        choices=EXPIRY_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
    )


class DeleteAccountForm(forms.Form):
    confirm = forms.BooleanField(
        label=_(
            "I understand that my account and personal data will be deleted and cannot be restored."
        ),
        required=True,
        error_messages={"required": _("Please confirm that you want to delete your account.")},
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=128,
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, has_password: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if has_password:
            self.fields["password"].required = True
        else:
            del self.fields["password"]
