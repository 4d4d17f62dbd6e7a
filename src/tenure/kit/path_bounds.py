"""Bounded path parameters for the API's routes (kept apart from `bounds`: the command line
reads those without loading FastAPI)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from tenure.kit.bounds import MAX_ROW_ID

# A row id in a URL path (`/messages/{message_id}`): out of range is a 422 naming it, never a
# database overflow.
PathId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
