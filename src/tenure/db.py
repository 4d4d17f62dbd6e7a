"""The FastAPI session dependency, over the engine and sessions of `tenure.database`.

Services never commit: the CLI command or request that owns the unit of work does. (The
command line imports `tenure.database`, without FastAPI.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from tenure.database import CONNECTIONS, POOL_OVERFLOW, POOL_SIZE, Database, make_engine

__all__ = ["CONNECTIONS", "POOL_OVERFLOW", "POOL_SIZE", "Database", "SessionDep", "make_engine"]


def get_session(request: Request) -> Iterator[Session]:
    database: Database = request.app.state.database
    with database.unit_of_work() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
