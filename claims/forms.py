"""The claim form: subscriptions, the period in the claimant's timezone, the basis, proof."""

import zoneinfo

from django import forms
from django.core.exceptions import ValidationError

from claims import messages
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


# --- review --------------------------------------------------------------------------------------

UTC_FORMATS = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
ANSWER_FILES = 3
YES_NO = [("yes", "Yes: counts as maintenance"), ("no", "No: downtime counts")]


def _utc_field(label):
    """An instant typed in UTC, to the second (the view reads it with UTC active)."""
    return forms.DateTimeField(
        label=f"{label} (UTC)",
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "step": 1}, format="%Y-%m-%dT%H:%M:%S"
        ),
        input_formats=UTC_FORMATS,
        required=False,
        error_messages={"invalid": "Enter a UTC date and time like 2026-03-10 19:00:00."},
    )


class IntervalForm(forms.Form):
    """One downtime interval the reviewer settles; blank rows are ignored."""

    start = _utc_field("Start")
    end = _utc_field("End")
    exception = forms.ChoiceField(required=False, label="Exception")
    reason = forms.CharField(required=False, label="Reason", max_length=2000)

    def __init__(self, *args, exception_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["exception"].choices = [("", "No Exception"), *exception_choices]

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if (start is None) != (end is None) and not self.errors:
            missing = "end" if end is None else "start"
            self.add_error(missing, "Enter both the start and the end, or clear the row.")
        return data


class BaseIntervalFormSet(forms.BaseFormSet):
    """Intervals; build with form_kwargs={"exception_choices": [(slug, name)]}."""

    def intervals(self):
        """(start, end, exception, reason) of the rows kept, in order."""
        return [
            (row["start"], row["end"], row.get("exception") or None, row.get("reason", ""))
            for row in self.cleaned_data
            if row and not row.get("DELETE") and row.get("start") and row.get("end")
        ]


IntervalFormSet = forms.formset_factory(
    IntervalForm, formset=BaseIntervalFormSet, extra=2, can_delete=True, max_num=50
)


class MaintenanceCallForm(forms.Form):
    """Whether one of the provider's maintenance records counts as maintenance here."""

    maintenance_id = forms.IntegerField(widget=forms.HiddenInput)
    excused = forms.ChoiceField(choices=YES_NO, label="Counts as maintenance")
    reason = forms.CharField(required=False, label="Reason", max_length=2000)


MaintenanceFormSet = forms.formset_factory(MaintenanceCallForm, extra=0)


class SettleForm(forms.Form):
    reason = forms.CharField(
        required=False,
        label="Why this settlement",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=5000,
    )


class ApproveForm(forms.Form):
    amount = forms.DecimalField(
        label="Credit to approve",
        min_value=0,
        max_digits=12,
        decimal_places=2,
        error_messages={"required": "Enter the amount to approve."},
    )
    reason = forms.CharField(
        required=False,
        label="Reason (required when the amount differs from the engine's)",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=5000,
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Why the claim is rejected (the claimant is told)",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=5000,
        error_messages={"required": messages.REJECTION_NEEDS_REASON},
    )


class RequestInfoForm(forms.Form):
    question = forms.CharField(
        label="Question for the claimant",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=5000,
        error_messages={"required": messages.QUESTION_EMPTY},
    )


class MessageForm(forms.Form):
    """A message in the claim's conversation, seen by both sides."""

    body = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": messages.MESSAGE_EMPTY},
    )
    file = forms.FileField(required=False, label="Attachment (optional)", allow_empty_file=True)


class NoteForm(forms.Form):
    """An internal note: staff only, never shown to the claimant."""

    body = forms.CharField(
        label="Internal note",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=5000,
        error_messages={"required": messages.MESSAGE_EMPTY},
    )


class AnswerForm(forms.Form):
    body = forms.CharField(
        required=False,
        label="Your answer",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )


AnswerFileFormSet = forms.formset_factory(
    ProofForm, extra=ANSWER_FILES, max_num=ANSWER_FILES, validate_max=True
)
