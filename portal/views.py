"""Organisation pages scoped to the asker, and the account page (second factor, API tokens,
re-authentication). The health check is portal.health; the home pages per role show the
service catalogue and incidents, so they live in sla.views."""

import base64
import datetime as dt
import hashlib
import logging

import segno
from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.auth import (
    client_ip,
    has_second_factor,
    mark_recent_auth,
    mfa_required,
    needs_recent_auth,
    reauth_url,
    recent_auth_message,
    safe_next,
)
from portal.forms import CodeForm, ConfirmDeviceForm, ReauthForm, TokenForm
from portal.keyset import Key, PageError, paginate
from portal.models import ApiToken, Organisation
from portal.tokens import create_token

log = logging.getLogger("portal.auth")


ORGANISATION_ORDER = (Key("name"), Key("pk"))
# The typeahead: at most this many names, and only once this many letters are typed.
SEARCH_RESULTS = 20
SEARCH_MIN_LENGTH = 2
SEARCH_KINDS = {
    "customer": Organisation.Kind.CUSTOMER,
    "reseller": Organisation.Kind.RESELLER,
}


def _named(queryset, text):
    text = text.strip()[:200]
    return queryset.filter(name__icontains=text) if text else queryset


@login_required
def organisation_list(request):
    """The organisations the asker may see, by name, a page at a time; `?q=` searches names."""
    query = request.GET.get("q", "").replace("\x00", "")
    organisations = _named(
        Organisation.objects.visible_to(request.user).select_related("reseller"), query
    )
    try:
        page, error = paginate(organisations, request.GET, ORGANISATION_ORDER), None
    except PageError as refusal:
        page, error = None, str(refusal)
    return render(
        request,
        "portal/organisation_list.html",
        {"page": page, "page_error": error, "q": query},
        status=400 if error else 200,
    )


@login_required
def organisation_search(request):
    """Names for a filter's typeahead: organisations the asker may see whose name contains
    `q` (at least two letters), at most SEARCH_RESULTS, by name. `kind` narrows to customer
    accounts or resellers; without it, every organisation but the provider."""
    query = request.GET.get("q", "").replace("\x00", "").strip()
    if len(query) < SEARCH_MIN_LENGTH:
        return JsonResponse({"results": []})
    organisations = Organisation.objects.visible_to(request.user).select_related("reseller")
    kind = SEARCH_KINDS.get(request.GET.get("kind", ""))
    if kind is not None:
        organisations = organisations.filter(kind=kind)
    else:
        organisations = organisations.exclude(kind=Organisation.Kind.PROVIDER)
    found = _named(organisations, query).order_by("name", "pk")[:SEARCH_RESULTS]
    return JsonResponse(
        {
            "results": [
                {
                    "id": organisation.pk,
                    "name": organisation.name,
                    "label": _search_label(organisation),
                }
                for organisation in found
            ]
        }
    )


def _search_label(organisation):
    if organisation.reseller_id:
        return f"{organisation.name} (end customer of {organisation.reseller.name})"
    return f"{organisation.name} ({organisation.get_kind_display().lower()})"


@login_required
def organisation_detail(request, pk):
    # Scoped lookup: another customer's organisation is a 404, never a 403 that confirms it exists.
    organisation = get_object_or_404(Organisation.objects.visible_to(request.user), pk=pk)
    subscriptions = organisation.subscriptions.select_related("service", "policy")
    end_customers = Organisation.objects.visible_to(request.user).filter(reseller=organisation)
    return render(
        request,
        "portal/organisation_detail.html",
        {
            "organisation": organisation,
            "subscriptions": subscriptions,
            "end_customers": end_customers,
        },
    )


# --- the account page: second factor, API tokens, re-authentication ------------------------------

RECOVERY_CODES = 10
RESET_LIMITED = (
    "Too many password reset requests for this address or from your network: at most {count} "
    "an hour. Try again later, or ask your administrator."
)


def _issue_recovery_codes(user):
    """A fresh set of recovery codes (one use each), replacing any earlier set."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@login_required
def account(request):
    user = request.user
    tokens = user.api_tokens.all()
    fresh = request.session.pop("new_token", None)
    codes = request.session.pop("recovery_codes", None)
    return render(
        request,
        "portal/account.html",
        {
            "tokens": tokens,
            "token_form": TokenForm(),
            "new_token": fresh,
            "recovery_codes": codes,
            "has_second_factor": has_second_factor(user),
            "mfa_required": mfa_required(user),
            "max_days": settings.API_TOKEN_MAX_DAYS,
        },
    )


@require_POST
@login_required
def token_create(request):
    user = request.user
    if mfa_required(user) and not has_second_factor(user):
        return redirect("mfa-enrol")
    if needs_recent_auth(request):
        flash.info(request, recent_auth_message())
        return redirect(reauth_url(reverse("account")))
    form = TokenForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "portal/account.html",
            {
                "tokens": user.api_tokens.all(),
                "token_form": form,
                "has_second_factor": has_second_factor(user),
                "mfa_required": mfa_required(user),
                "max_days": settings.API_TOKEN_MAX_DAYS,
            },
            status=400,
        )
    now = timezone.now()
    token, secret = create_token(
        user=user,
        name=form.cleaned_data["name"],
        expires_at=now + dt.timedelta(days=form.cleaned_data["expires_in_days"]),
        now=now,
    )
    request.session["new_token"] = {"name": token.name, "secret": secret}
    return redirect("account")


@require_POST
@login_required
def token_revoke(request, pk):
    # Scoped to the asker: another person's token is a 404.
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token.revoke()
    flash.success(request, f"Token “{token.name}” revoked.")
    return redirect("account")


@login_required
def mfa_enrol(request):
    """Set up an authenticator app: scan the QR code (or type the secret), confirm one code."""
    user = request.user
    if has_second_factor(user):
        return redirect("account")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=False)
    form = ConfirmDeviceForm(device, request.POST or None)
    if request.method == "POST" and form.is_valid():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        otp_login(request, device)
        mark_recent_auth(request)
        request.session["recovery_codes"] = _issue_recovery_codes(user)
        log.info("second factor enrolled for %s", user.email)
        flash.success(request, "Second factor set up. Keep the recovery codes below safe.")
        return redirect("account")
    secret = base64.b32encode(device.bin_key).decode()
    qr = segno.make(device.config_url, error="m").svg_data_uri(scale=4)
    return render(
        request,
        "registration/mfa_enrol.html",
        {"form": form, "secret": secret, "qr": qr, "next": request.GET.get("next", "")},
        status=400 if request.method == "POST" else 200,
    )


def mfa_verify(request):
    """The second step of a login for a user with a second factor."""
    user = request.user
    if not user.is_authenticated:
        return redirect("login")
    if user.is_verified():
        return redirect(safe_next(request))
    form = CodeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        otp_login(request, form.device)
        mark_recent_auth(request)
        return redirect(safe_next(request))
    if request.method == "POST":
        log.warning("wrong second-factor code for %s from %s", user.email, client_ip(request))
    return render(
        request,
        "registration/mfa_verify.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@login_required
def mfa_recovery_codes(request):
    if not has_second_factor(request.user):
        return redirect("mfa-enrol")
    if needs_recent_auth(request):
        flash.info(request, recent_auth_message())
        return redirect(reauth_url(reverse("account")))
    request.session["recovery_codes"] = _issue_recovery_codes(request.user)
    return redirect("account")


@require_POST
@login_required
def mfa_disable(request):
    user = request.user
    if mfa_required(user):
        flash.error(request, "Provider staff must keep a second factor.")
        return redirect("account")
    if needs_recent_auth(request):
        flash.info(request, recent_auth_message())
        return redirect(reauth_url(reverse("account")))
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    log.info("second factor removed by %s", user.email)
    flash.success(request, "Second factor removed.")
    return redirect("account")


@login_required
def reauth(request):
    """Password (and code, where enrolled) again, then back to `next`."""
    form = ReauthForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form.device is not None:
            otp_login(request, form.device)
        mark_recent_auth(request)
        return redirect(safe_next(request))
    return render(
        request,
        "registration/reauth.html",
        {
            "form": form,
            "next": request.POST.get("next") or request.GET.get("next", ""),
            "minutes": settings.RECENT_AUTH_MINUTES,
        },
        status=400 if request.method == "POST" else 200,
    )


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset, at most PASSWORD_RESET_PER_HOUR mails an hour per address typed and per
    client address. The refusal is the same whether or not the address has an account."""

    def form_valid(self, form):
        limit = settings.PASSWORD_RESET_PER_HOUR
        email = form.cleaned_data["email"].strip().lower()
        keys = [
            "password-reset:email:" + hashlib.sha256(email.encode()).hexdigest(),
            "password-reset:ip:" + client_ip(self.request),
        ]
        for key in keys:
            cache.add(key, 0, timeout=3600)
        counts = [cache.incr(key) for key in keys]
        if max(counts) > limit:
            log.warning("password reset limited: address %s", client_ip(self.request))
            form.add_error(None, RESET_LIMITED.format(count=limit))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)
