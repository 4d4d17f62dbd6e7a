"""The signed token of a survey link. Pure: the key is passed in.

A token is `KIND.RECIPIENT.WAVE.EXPIRY.NONCE.SIGNATURE`: KIND `a` for the link in the email
(single-use: answering through it consumes it) and `e` for the answer page's own form (changing
the score or adding a comment for a while after the click); the signature is an HMAC-SHA256 of
the rest. Forged or altered tokens fail the signature; the nonce, kept with the recipient,
ties the token to that one invitation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

ANSWER = "a"
EDIT = "e"


class TokenRefused(Exception):
    def __init__(self, reason: str):  # forged | expired
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Claims:
    kind: str
    recipient_id: int
    wave: int
    expires_at: datetime
    nonce: str


def _signature(key: bytes, payload: str) -> str:
    digest = hmac.new(key, f"tenure.survey:{payload}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")


def sign(
    key: bytes, kind: str, recipient_id: int, wave: int, expires_at: datetime, nonce: str
) -> str:
    if "." in nonce:
        raise ValueError("a nonce has no dots")
    payload = f"{kind}.{recipient_id}.{wave}.{int(expires_at.timestamp())}.{nonce}"
    return f"{payload}.{_signature(key, payload)}"


def read(key: bytes, token: str, kind: str, now: datetime) -> Claims:
    """The claims of a token Tenure signed for `kind`, unexpired at `now`; TokenRefused
    ("forged" or "expired") otherwise."""
    payload, _, signature = token.rpartition(".")
    if not payload or not hmac.compare_digest(_signature(key, payload), signature):
        raise TokenRefused("forged")
    parts = payload.split(".")
    if len(parts) != 5 or parts[0] != kind:
        raise TokenRefused("forged")
    try:
        recipient, wave, expiry = int(parts[1]), int(parts[2]), int(parts[3])
    except ValueError:
        raise TokenRefused("forged") from None
    expires_at = datetime.fromtimestamp(expiry, UTC)
    if now >= expires_at:
        raise TokenRefused("expired")
    return Claims(parts[0], recipient, wave, expires_at, parts[4])
