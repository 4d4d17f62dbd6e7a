"""Engine and session factory (no FastAPI: the command line imports this).

Services never commit: the CLI command or request that owns the unit of work does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from tenure.config import Settings

# Connections one process keeps (SQLAlchemy's defaults, said here because the web app admits
# no more requests at once than this: kit/admission.py).
POOL_SIZE = 5
POOL_OVERFLOW = 10
CONNECTIONS = POOL_SIZE + POOL_OVERFLOW


def make_engine(url: str) -> Engine:
    pool = {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW}
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **pool)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets `tenure serve` read while a CLI import writes; the busy timeout makes a second
    # writer wait for the first instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # A connection's page cache outlives its transactions: 64 MB (SQLite's default is 2 MB)
    # keeps a 100,000-account book's hot pages and indexes in it, where the default re-read
    # them from the OS on every page view. Each pooled connection fills it only as it reads.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


class Database:
    """One engine and its session factory for a given Settings."""

    def __init__(self, settings: Settings):
        self.settings = settings
        if self.url.startswith("sqlite"):
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(self.url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def url(self) -> str:
        return self.settings.resolved_database_url

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A session committed when the block ends normally, rolled back otherwise."""
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()
