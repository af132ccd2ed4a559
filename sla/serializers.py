"""Schema-only serializers describing the quote contract for the OpenAPI document.

Validation itself is the engine's contract parser (one parser for the command and the API), so
these classes document the shapes; they do not parse.
"""

from rest_framework import serializers

from portal.api import ErrorsSerializer
from sla.engine import EXCEPTION_SLUGS


class IntervalSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="With an explicit UTC offset; naive is refused.")
    end = serializers.DateTimeField(help_text="Later than start (intervals are [start, end)).")


class DowntimeSerializer(IntervalSerializer):
    exception = serializers.ChoiceField(
        choices=EXCEPTION_SLUGS, allow_null=True, required=False, help_text="Exception category."
    )


class MaintenanceSerializer(IntervalSerializer):
    notice_at = serializers.DateTimeField(allow_null=True, required=False)


class QuoteInputSerializer(serializers.Serializer):
    policy = serializers.CharField(help_text="Policy slug, e.g. onepointsync or groupspark.")
    monthly_fee = serializers.CharField(help_text='Non-negative decimal string, e.g. "720.00".')
    downtime = DowntimeSerializer(many=True)
    maintenance = MaintenanceSerializer(many=True, required=False)
    mrc_paid = serializers.CharField(required=False, help_text="Default: monthly_fee.")
    already_credited = serializers.CharField(required=False, help_text='Default: "0.00".')


class MonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM in policy time.")
    qualifying_downtime_minutes = serializers.FloatField()
    availability_percent = serializers.FloatField()
    commitment_met = serializers.BooleanField()
    credit = serializers.CharField()
    capped = serializers.BooleanField()


class QuoteOutputSerializer(serializers.Serializer):
    credit = serializers.CharField(help_text="Two decimals.")
    months = MonthSerializer(many=True)


class FieldErrorsSerializer(ErrorsSerializer):
    """Each offending field (dotted path, e.g. downtime[0].end) with its messages."""
