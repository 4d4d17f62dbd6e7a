"""Write keys for the event intake. Services never commit."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenure.kit.dates import utc_now
from tenure.kit.errors import NotFound
from tenure.models import WriteKey

KEY_PREFIX = "wk_"


def hash_key(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def create_write_key(session: Session, name: str | None = None) -> tuple[WriteKey, str]:
    """A new write key; the plain key is returned once and never stored."""
    plain = KEY_PREFIX + secrets.token_urlsafe(24)
    key = WriteKey(key_hash=hash_key(plain), prefix=plain[:12], name=name)
    session.add(key)
    session.flush()
    return key, plain


def list_write_keys(session: Session) -> list[WriteKey]:
    return list(session.scalars(select(WriteKey).order_by(WriteKey.created_at, WriteKey.id)))


def revoke_write_key(session: Session, prefix: str) -> WriteKey:
    key = session.scalar(select(WriteKey).where(WriteKey.prefix == prefix))
    if key is None:
        raise NotFound(f"no write key starting with {prefix!r}")
    if key.revoked_at is None:
        key.revoked_at = utc_now()
    return key


def is_valid_key_hash(session: Session, key_hash: str) -> bool:
    return (
        session.scalar(
            select(WriteKey.id).where(WriteKey.key_hash == key_hash, WriteKey.revoked_at.is_(None))
        )
        is not None
    )
