"""Request guards that apply to every page: body size, session timeouts, the staff second factor,
no caching of what a logged-in person sees, and cleaning up after cut-off uploads."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode

from portal.auth import LOGIN_AT, has_second_factor, mfa_required

BODY_TOO_LARGE = "The request body is larger than the limit of {limit:,} bytes ({mb:g} MB)."
IDLE_LOGGED_OUT = "You were logged out after {minutes} minutes without activity. Log in again."
AGE_LOGGED_OUT = "You were logged out: sessions last at most {hours} hours. Log in again."
SECOND_FACTOR_NEEDED = "Provider staff must use a second factor: set one up to continue."
LAST_SEEN = "last_seen"
# The idle clock is written at most this often, so a page's htmx requests do not each write
# the session.
LAST_SEEN_RESOLUTION = 60


def _is_api(request):
    return request.path.startswith("/api/")


class BodySizeLimitMiddleware:
    """Refuse (413) a declared body above DATA_UPLOAD_MAX_MEMORY_SIZE that is not a file upload.

    Django enforces that limit only when it reads a body itself; DRF's parsers read the stream
    and would not. File uploads stream to disk under their own limits (PROOF_MAX_*)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        declared = request.META.get("CONTENT_LENGTH", "")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        is_upload = request.content_type == "multipart/form-data"
        if limit and declared.isdigit() and int(declared) > limit and not is_upload:
            message = BODY_TOO_LARGE.format(limit=limit, mb=limit / 1024 / 1024)
            if _is_api(request):
                return JsonResponse({"detail": message}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain")
        return self.get_response(request)


class SessionTimeoutMiddleware:
    """Log out a session idle for SESSION_IDLE_TIMEOUT_MINUTES, or older than
    SESSION_MAX_AGE_HOURS since its login; each request moves the idle deadline on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            refused = self._check(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    def _check(self, request):
        session = request.session
        now = timezone.now().timestamp()
        idle = settings.SESSION_IDLE_TIMEOUT_MINUTES * 60
        max_age = settings.SESSION_MAX_AGE_HOURS * 3600
        last_seen = session.get(LAST_SEEN)
        login_at = session.get(LOGIN_AT)
        if login_at is None:
            session[LOGIN_AT] = login_at = now
        if last_seen is not None and now - last_seen > idle:
            message = IDLE_LOGGED_OUT.format(minutes=settings.SESSION_IDLE_TIMEOUT_MINUTES)
        elif now - login_at > max_age:
            message = AGE_LOGGED_OUT.format(hours=settings.SESSION_MAX_AGE_HOURS)
        else:
            if last_seen is None or now - last_seen >= LAST_SEEN_RESOLUTION:
                session[LAST_SEEN] = now
                # The cookie and the stored session end with the idle deadline, never after
                # the absolute one.
                session.set_expiry(max(1, int(min(idle, max_age - (now - login_at)))))
            return None
        logout(request)
        if _is_api(request):
            return JsonResponse({"detail": message}, status=401)
        messages.info(request, message)
        return redirect(f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}")


# Pages a person who still owes a second factor may open.
_MFA_OPEN_PATHS = ("/accounts/mfa/", "/accounts/logout/", "/static/", "/healthz")


class StaffMFAMiddleware:
    """A logged-in session whose user has a second factor must have passed it (django-otp's
    `is_verified`); provider staff without one must set one up first (`STAFF_MFA_REQUIRED`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(_MFA_OPEN_PATHS)
        ):
            if has_second_factor(user):
                return self._send_to(request, "mfa-verify", "Enter a code from your authenticator.")
            if mfa_required(user):
                return self._send_to(request, "mfa-enrol", SECOND_FACTOR_NEEDED)
        return self.get_response(request)

    def _send_to(self, request, name, message):
        if _is_api(request):
            return JsonResponse({"detail": message}, status=403)
        target = reverse(name)
        return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")


class NoStoreMiddleware:
    """What a logged-in person sees is never kept by a browser or a shared cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated or request.META.get("HTTP_AUTHORIZATION"):
            patch_cache_control(response, no_store=True, private=True)
        return response


class UploadCleanupMiddleware:
    """Close every upload handler's file when the request ends, so an upload cut off half-way
    (a client that stopped sending, a body read that timed out) removes its temporary file now.

    Django closes only the files of a body it finished reading (request.FILES); a partial one
    stays referenced by its handler, in a reference cycle with the request, until the garbage
    collector happens to run, and a worker killed meanwhile leaves it on disk for good.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        finally:
            # Only handlers that were built: reading request.upload_handlers would build them.
            for handler in request.__dict__.get("_upload_handlers", ()):
                file = getattr(handler, "file", None)
                if file is not None and not file.closed:
                    file.close()
