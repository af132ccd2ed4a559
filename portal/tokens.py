"""Personal API tokens: creating one (the secret is returned once) and the DRF authentication
that reads `Authorization: Token <secret>` (or `Bearer <secret>`)."""

import datetime as dt
import hashlib
import logging
import secrets

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from portal.models import ApiToken

log = logging.getLogger("portal.tokens")

# Last use is written at most this often per token: a busy token costs no write per request.
LAST_USE_RESOLUTION = dt.timedelta(minutes=1)
SECRET_PREFIX = "sla_"  # noqa: S105 - marks a portal token in logs and scanners

INVALID = "Invalid, expired or revoked token."


def hash_secret(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(*, user, name, expires_at, now=None):
    """A new token for `user`; returns (token, secret). Only the hash of the secret is stored."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_hash=hash_secret(secret),
        prefix=secret[len(SECRET_PREFIX) : len(SECRET_PREFIX) + 8],
        password_hash=user.get_session_auth_hash(),
        created_at=now or timezone.now(),
        expires_at=expires_at,
    )
    log.info("API token %s created for %s, expires %s", token.pk, user.email, expires_at)
    return token, secret


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("token", "bearer")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace").lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the header as: Authorization: Token <token>"
            )
        try:
            secret = header[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(INVALID) from None
        return self.authenticate_secret(secret)

    def authenticate_secret(self, secret):
        now = timezone.now()
        token = (
            ApiToken.objects.live(now)
            .select_related("user")
            .filter(key_hash=hash_secret(secret))
            .first()
        )
        if token is None or not token.matches_password():
            raise exceptions.AuthenticationFailed(INVALID)
        if token.last_used_at is None or now - token.last_used_at >= LAST_USE_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token.user, token

    def authenticate_header(self, request):
        return 'Token realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The token in the OpenAPI document: `Authorization: Token <secret>`."""

    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'A personal token from your account page, sent as "Token <token>".',
        }
