"""The one Settings object. Nothing else in Tenure reads the environment."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Tenure's settings, read from `TENURE_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="TENURE_", extra="ignore")

    data_dir: Path = Field(
        default=Path(".tenure"),
        description="Folder for the embedded SQLite database and the DuckDB/Parquet warehouse.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the app database; default a SQLite file in the data dir. "
        "A postgresql+psycopg:// URL works the same.",
    )
    warehouse_url: str | None = Field(
        default=None,
        description="Where time series live; default Parquet files in the data dir read through "
        "DuckDB (file://PATH).",
    )
    base_currency: str = Field(
        default="USD", description="Currency that figures mixing currencies are converted to."
    )
    currency_rates: dict[str, float] = Field(
        default_factory=dict,
        description='Rates to the base currency as JSON, e.g. {"EUR": 1.08}; without them '
        "figures that mix currencies are refused.",
    )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'tenure.db').resolve()}"

    @property
    def resolved_warehouse_url(self) -> str:
        if self.warehouse_url:
            return self.warehouse_url
        return f"file://{(self.data_dir / 'warehouse').resolve()}"
