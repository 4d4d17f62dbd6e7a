from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from tenure.models.enums import Role


class UserCreate(BaseModel):
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$", max_length=320)
    name: str = Field(min_length=1, max_length=200)
    role: Role
    password: str | None = Field(default=None, min_length=8)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    email: str
    name: str
    role: Role
    created_at: datetime


class TokenRead(BaseModel):
    email: str
    prefix: str
    name: str | None
    created_at: datetime
