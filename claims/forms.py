"""The claim form: subscriptions, the period in the claimant's timezone, the basis, proof."""

import zoneinfo

from django import forms
from django.core.exceptions import ValidationError

from claims.models import ProofKind
from sla.forms import COMMON_TIMEZONES
from sla.models import Subscription

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
PROOF_ROWS = 3


def _datetime_field(label, example):
    return forms.DateTimeField(
        label=label,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": 1}),
        input_formats=DATETIME_FORMATS,
        error_messages={
            "required": f"Enter the {label.lower()}, like {example}.",
            "invalid": f"Enter a date and time like {example}.",
        },
    )


class SubscriptionChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, subscription):
        return (
            f"{subscription.organisation} - {subscription.service} "
            f"({subscription.policy.name}, {subscription.monthly_fee} {subscription.currency})"
        )


class ClaimForm(forms.Form):
    subscriptions = SubscriptionChoices(
        queryset=Subscription.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one subscription the outage hit."},
    )
    timezone = forms.ChoiceField(label="Timezone of the times you enter")
    period_start = _datetime_field("Outage start", "2026-03-10 14:00")
    period_end = _datetime_field("Outage end", "2026-03-10 14:47")
    basis = forms.CharField(
        label="What happened",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        error_messages={"required": "Describe what happened: what failed and how you noticed."},
    )
    representation = forms.BooleanField(
        required=False,
        label="To my knowledge, no Exception (such as my own Internet access, DNS or "
        "equipment) caused this outage.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subscriptions"].queryset = (
            Subscription.objects.visible_to(user)
            .filter(organisation__kind="customer")
            .select_related("organisation", "service", "policy")
        )
        zones = list(dict.fromkeys([user.timezone, *COMMON_TIMEZONES]))
        self.fields["timezone"].choices = [(z, z) for z in zones]
        self.fields["timezone"].initial = user.timezone

    def clean_timezone(self):
        name = self.cleaned_data["timezone"]
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValidationError(f"Unknown timezone {name!r}.") from None
        return name


class ProofForm(forms.Form):
    file = forms.FileField(
        required=False,
        label="Proof file",
        help_text="Ping, DNS or telnet output as text, a PDF, or a PNG/JPEG screenshot.",
        allow_empty_file=True,
    )
    kind = forms.ChoiceField(
        required=False,
        label="It is a",
        choices=[("", "Let the portal read it"), *ProofKind.choices],
    )


ProofFormSet = forms.formset_factory(ProofForm, extra=PROOF_ROWS, max_num=10, validate_max=True)
