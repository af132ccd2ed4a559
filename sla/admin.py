from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from sla.models import (
    ExceptionCategory,
    Incident,
    Maintenance,
    Policy,
    PolicyVersion,
    Service,
    Subscription,
)


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(ExceptionCategory)
class ExceptionCategoryAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "position"]


class PolicyVersionInline(admin.TabularInline):
    model = PolicyVersion
    fields = ["effective_from", "kind", "target_percent", "cap_basis", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "timezone"]
    search_fields = ["name", "slug"]
    inlines = [PolicyVersionInline]

    def get_readonly_fields(self, request, obj=None):
        # The timezone defines every version's billing month; it is fixed once versions exist.
        return ["slug", "timezone"] if obj and obj.versions.exists() else []


class PolicyVersionForm(forms.ModelForm):
    class Meta:
        model = PolicyVersion
        fields = "__all__"  # noqa: DJ007 - the admin narrows it with its fieldsets

    def clean(self):
        data = super().clean()
        if self.instance.pk and data.get("effective_from") == self.instance.effective_from:
            self.add_error(
                "effective_from",
                "Saving makes a new version: choose the first day it applies from.",
            )
        return data


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    """Editing a version saves a new version; the one being edited stays as it was."""

    form = PolicyVersionForm
    list_display = ["policy", "effective_from", "kind", "target_percent", "cap_basis", "note"]
    list_filter = ["policy", "kind"]
    filter_horizontal = ["exception_categories"]
    fieldsets = [
        (None, {"fields": ["policy", "effective_from", "note", "kind", "target_percent"]}),
        ("Per downtime block", {"fields": ["block_minutes", "block_rounding", "day_rate_basis"]}),
        ("Hourly rate", {"fields": ["hourly_divisor", "hour_rounding"]}),
        ("Tiered percent", {"fields": ["tiers"]}),
        (
            "Maintenance",
            {"fields": ["maintenance_rule", "notice_hours", "window_start", "window_end"]},
        ),
        ("Exceptions", {"fields": ["honours_exceptions", "exception_categories"]}),
        ("Caps and money", {"fields": ["cap_basis", "money_rounding"]}),
        (
            "Claims",
            {
                "fields": [
                    "claim_window_days",
                    "apply_by_cycles",
                    "requires_good_standing",
                    "required_evidence",
                    "requires_representation",
                    "payout_on_termination",
                    "decision_days",
                ]
            },
        ),
    ]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            obj.pk = None
            obj._state.adding = True
            obj.created_at = timezone.now()
            messages.info(request, f"Saved as a new version from {obj.effective_from}.")
        super().save_model(request, obj, form, change)


class ProviderEventAdmin(admin.ModelAdmin):
    list_display = ["service", "starts_at", "ends_at", "affects_all", "summary"]
    list_filter = ["service", "affects_all"]
    date_hierarchy = "starts_at"
    filter_horizontal = ["organisations"]
    search_fields = ["summary"]


@admin.register(Incident)
class IncidentAdmin(ProviderEventAdmin):
    pass


@admin.register(Maintenance)
class MaintenanceAdmin(ProviderEventAdmin):
    list_display = [*ProviderEventAdmin.list_display, "scheduled", "notice_at"]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["organisation", "service", "policy", "monthly_fee", "currency", "starts_at"]
    list_filter = ["policy", "service", "currency"]
    search_fields = ["organisation__name"]
    autocomplete_fields = ["organisation"]
