"""The credit estimator's form: a subscription and outage intervals in the user's timezone."""

import zoneinfo

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory

from sla.engine import EXCEPTION_SLUGS
from sla.models import ExceptionCategory, Subscription

COMMON_TIMEZONES = [
    "UTC",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Australia/Sydney",
]


class EstimateForm(forms.Form):
    subscription = forms.ModelChoiceField(
        queryset=Subscription.objects.none(),
        empty_label="Choose a subscription",
        error_messages={"required": "Choose the subscription the outage hit."},
    )
    timezone = forms.ChoiceField(
        help_text="The times below are in this timezone.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subscription"].queryset = Subscription.objects.visible_to(user).select_related(
            "organisation", "service", "policy"
        )
        self.fields["subscription"].label_from_instance = lambda s: (
            f"{s.organisation} - {s.service} ({s.policy.name}, {s.monthly_fee} {s.currency})"
        )
        zones = list(dict.fromkeys([user.timezone, *COMMON_TIMEZONES]))
        self.fields["timezone"].choices = [(z, z) for z in zones]
        self.fields["timezone"].initial = user.timezone

    def clean_timezone(self):
        name = self.cleaned_data["timezone"]
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValidationError(f"Unknown timezone {name!r}.") from None


def exception_choices():
    names = dict(ExceptionCategory.objects.values_list("slug", "name"))
    return [("", "No Exception"), *[(slug, names.get(slug, slug)) for slug in EXCEPTION_SLUGS]]


class IntervalForm(forms.Form):
    start = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": 1}),
        input_formats=[
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%d %H:%M:%S",
        ],
        error_messages={"invalid": "Enter a date and time like 2026-03-10 14:00."},
    )
    end = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": 1}),
        input_formats=[
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%d %H:%M:%S",
        ],
        error_messages={"invalid": "Enter a date and time like 2026-03-10 14:20."},
    )
    exception = forms.ChoiceField(required=False, choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["exception"].choices = exception_choices()

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if (start is None) != (end is None) and not self.errors:
            missing = "end" if end is None else "start"
            self.add_error(missing, f"Enter the {missing} too, or clear this row.")
        elif start is not None and end is not None and end <= start:
            self.add_error("end", "The end must be after the start.")
        return data


IntervalFormSet = formset_factory(IntervalForm, extra=3, max_num=50, validate_max=True)
