"""The playbook libraries: the active one, and storing a new version. Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenure.models import (
    PlaybookLibrary,
)
from tenure.plans.playbooks import DEFAULT_FILE, Library, default_source, parse_library


def active_library(session: Session) -> Library:
    """The latest loaded library, or the one shipped with Tenure."""
    row = _latest_library(session)
    if row is None:
        return _parsed(default_source(), DEFAULT_FILE)
    return _parsed(row.source, row.source_file or f"playbook library v{row.version}")


@lru_cache(maxsize=8)
def _parsed(text: str, file: str) -> Library:
    """A library's text always parses to the same Library, a frozen value: parsed once per
    process rather than on every page that reads signals (15 ms a parse, twice on Today)."""
    return parse_library(text, file)


def active_source(session: Session) -> tuple[str, str]:
    row = _latest_library(session)
    if row is None:
        return default_source(), DEFAULT_FILE
    return row.source, row.source_file or f"playbook library v{row.version}"


def _latest_library(session: Session) -> PlaybookLibrary | None:
    return session.scalar(select(PlaybookLibrary).order_by(PlaybookLibrary.version.desc()).limit(1))


@dataclass(frozen=True)
class LibraryLoaded:
    library: Library
    version: int
    created: bool


def load_library(
    session: Session, text: str, file: str, loaded_by: str | None = None
) -> LibraryLoaded:
    """Check a library and store it as the next version; the same text as the latest version
    stores nothing."""
    library = parse_library(text, file)
    latest = _latest_library(session)
    if latest is not None and latest.source == text:
        return LibraryLoaded(library, latest.version, False)
    version = (latest.version + 1) if latest else 1
    session.add(
        PlaybookLibrary(version=version, source=text, source_file=file, loaded_by=loaded_by)
    )
    session.flush()
    return LibraryLoaded(library, version, True)
