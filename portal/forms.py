"""Forms of the account page: API tokens, the second factor, re-authentication."""

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django_otp import match_token

from portal.auth import has_second_factor

WRONG_PASSWORD = "That password is not right."  # noqa: S105 - a message
WRONG_CODE = "That code is not right (or was already used). Codes change every 30 seconds."
CODE_NEEDED = "Enter the 6-digit code from your authenticator, or a recovery code."


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What it is for, e.g. the billing system's import job."
    )
    expires_in_days = forms.IntegerField(
        min_value=1, initial=90, label="Expires in (days)", help_text="At most a year."
    )

    def clean_expires_in_days(self):
        days = self.cleaned_data["expires_in_days"]
        if days > settings.API_TOKEN_MAX_DAYS:
            raise forms.ValidationError(f"At most {settings.API_TOKEN_MAX_DAYS} days.")
        return days


class CodeForm(forms.Form):
    """A one-time code from any of the user's confirmed devices (TOTP or a recovery code)."""

    code = forms.CharField(
        max_length=32,
        label="Code",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.device = None

    def clean_code(self):
        code = self.cleaned_data["code"].replace(" ", "")
        self.device = match_token(self.user, code)
        if self.device is None:
            raise forms.ValidationError(WRONG_CODE)
        return code


class ConfirmDeviceForm(forms.Form):
    code = forms.CharField(
        max_length=8,
        label="Code from your authenticator",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, device, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_code(self):
        code = self.cleaned_data["code"].replace(" ", "")
        if not self.device.verify_token(code):
            raise forms.ValidationError(WRONG_CODE)
        return code


class ReauthForm(forms.Form):
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    code = forms.CharField(max_length=32, required=False, label="Code (authenticator or recovery)")

    def __init__(self, request, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.user = request.user
        self.device = None
        if not has_second_factor(self.user):
            del self.fields["code"]

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        # Through authenticate(), so django-axes counts a wrong password here as well.
        if (
            password
            and authenticate(self.request, username=self.user.email, password=password) != self.user
        ):
            self.add_error("password", WRONG_PASSWORD)
        if "code" in self.fields:
            code = (cleaned.get("code") or "").replace(" ", "")
            if not code:
                self.add_error("code", CODE_NEEDED)
            else:
                self.device = match_token(self.user, code)
                if self.device is None:
                    self.add_error("code", WRONG_CODE)
        return cleaned
