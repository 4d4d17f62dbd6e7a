"""Signed tokens: the unsubscribe link in every client email (works without a login)."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

from tenure.config import Settings
from tenure.kit.errors import TenureError

_SALT = "tenure.unsubscribe"


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.resolved_secret_key(), salt=_SALT)


def unsubscribe_token(settings: Settings, email: str, message_id: str) -> str:
    # No expiry: an unsubscribe link in an old email must keep working (RFC 8058).
    return _serializer(settings).dumps({"e": email, "m": message_id})


def unsubscribe_url(settings: Settings, email: str, message_id: str) -> str:
    token = unsubscribe_token(settings, email, message_id)
    return f"{settings.public_url.rstrip('/')}/unsubscribe/{token}"


def read_unsubscribe_token(settings: Settings, token: str) -> tuple[str, str]:
    """(email, Message-ID) of a token Tenure signed; a TenureError for anything else."""
    try:
        data = _serializer(settings).loads(token)
    except BadSignature:
        raise TenureError("this unsubscribe link is not valid (altered or cut short)") from None
    if not isinstance(data, dict) or not isinstance(data.get("e"), str):
        raise TenureError("this unsubscribe link is not valid")
    return data["e"], str(data.get("m", ""))
