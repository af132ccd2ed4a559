"""Who is asking, and how recently they proved it: the client address, login lockout (django-axes
calls the helpers here), the second factor (django-otp) and recent re-authentication.

Re-authentication: money moves (approve, confirm an approval) only after the person entered their
password, and a code where they have a second factor, within `RECENT_AUTH_MINUTES`. A logged-in
session records the instant in `session["auth_at"]` (at login and on the re-auth page). A request
authenticated by an API token counts as recent: a token can only be created after a recent
re-authentication, and a staff member's token only once they have a second factor.
"""

import datetime as dt
import logging

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db.models import Max, Q
from django.dispatch import receiver
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django_otp import devices_for_user

from portal.models import ApiToken

log = logging.getLogger("portal.auth")

AUTH_AT = "auth_at"
LOGIN_AT = "login_at"

LOCKED_OUT = (
    "Too many failed logins for this account or from this address. "
    "You may try again at {until} UTC (in about {minutes} minutes)."
)


# --- the client's address --------------------------------------------------------------------


def client_ip(request):
    """The client's address: REMOTE_ADDR, or with `BEHIND_PROXY` the address the nearest trusted
    proxy saw (X-Forwarded-For counted from the right, as DRF's NUM_PROXIES does), so a client
    cannot choose its own address by sending the header."""
    remote = request.META.get("REMOTE_ADDR", "")
    if not settings.BEHIND_PROXY:
        return remote
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part
    ]
    if not forwarded:
        return remote
    return forwarded[-min(settings.PROXY_COUNT, len(forwarded))]


# --- login lockout (django-axes) ---------------------------------------------------------------


def login_username(request, credentials=None):
    """The account a login names, as the login finds it (e-mail, any case)."""
    value = (credentials or {}).get("username") or request.POST.get("username", "")
    return value.strip().lower()


def locked_until(request, credentials=None):
    """When the lockout that refused this login ends (the latest failure plus the cool-off)."""
    username = login_username(request, credentials)
    latest = AccessAttempt.objects.filter(
        Q(username=username) | Q(ip_address=client_ip(request))
    ).aggregate(latest=Max("attempt_time"))["latest"]
    return (latest or timezone.now()) + settings.AXES_COOLOFF_TIME


def lockout_message(until, now=None):
    now = now or timezone.now()
    minutes = max(1, int((until - now).total_seconds() + 59) // 60)
    return LOCKED_OUT.format(until=until.strftime("%Y-%m-%d %H:%M"), minutes=minutes)


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' answer to a locked login: the login page again, saying until when (429)."""
    until = locked_until(request, credentials)
    message = lockout_message(until)
    log.warning(
        "login locked out: account %r, address %s, until %s",
        login_username(request, credentials),
        client_ip(request),
        until.isoformat(),
    )
    return render(
        request,
        "registration/locked_out.html",
        {"message": message, "until": until},
        status=429,
    )


# --- the second factor ---------------------------------------------------------------------------


def has_second_factor(user):
    return any(True for _ in devices_for_user(user, confirmed=True))


def mfa_required(user):
    """Provider staff (reviewers, billing, administrators) and anyone who may use the admin must
    have a second factor, unless `STAFF_MFA_REQUIRED` is off (local trials, tests)."""
    if not settings.STAFF_MFA_REQUIRED:
        return False
    return user.is_staff or user.is_superuser or user.is_provider_staff


# --- recent authentication -----------------------------------------------------------------------


@receiver(user_logged_in)
def _record_login(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    instant = timezone.now().timestamp()
    request.session[AUTH_AT] = instant
    request.session[LOGIN_AT] = instant


def mark_recent_auth(request):
    request.session[AUTH_AT] = timezone.now().timestamp()


def needs_recent_auth(request) -> bool:
    """True when this request must first pass the re-auth page (`reauth_url`).

    A token request never does (see the module's docstring); a session does when its password
    (and code, where enrolled) is older than `RECENT_AUTH_MINUTES` (0 turns the check off)."""
    if not settings.RECENT_AUTH_MINUTES:
        return False
    if isinstance(getattr(request, "auth", None), ApiToken):
        return False
    session = getattr(request, "session", None)
    auth_at = session.get(AUTH_AT) if session is not None else None
    if auth_at is None:
        return True
    age = timezone.now() - dt.datetime.fromtimestamp(auth_at, tz=dt.UTC)
    return age > dt.timedelta(minutes=settings.RECENT_AUTH_MINUTES)


RECENT_AUTH_NEEDED = (
    "Enter your password again (and a code from your authenticator, if you use one) before "
    "approving a credit: your last one was more than {minutes} minutes ago."
)


def recent_auth_message():
    return RECENT_AUTH_NEEDED.format(minutes=settings.RECENT_AUTH_MINUTES)


def reauth_url(next_url):
    return f"{reverse('reauth')}?{urlencode({'next': next_url})}"


def safe_next(request, fallback="home"):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(fallback)
