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

    events_url: str | None = Field(
        default=None,
        description="Ibis connection URL of a warehouse that already holds your product events "
        "(e.g. postgres://user:password@host:5432/db); Tenure reads them there and copies "
        "nothing. Default: Tenure's own event store in the warehouse.",
    )
    events_table: str = Field(
        default="events",
        description="With events_url: the events table, optionally schema-qualified "
        "(analytics.events).",
    )
    events_columns: dict[str, str] = Field(
        default_factory=dict,
        description="With events_url: Tenure event column -> your column, as JSON, e.g. "
        '{"message_id": "id", "timestamp": "sent_at", "account_external_id": "company"}; '
        "columns not named keep Tenure's names.",
    )
    metric_catalogue: Path | None = Field(
        default=None,
        description="TOML file of usage metric definitions; default the catalogue shipped "
        "with Tenure.",
    )
    intake_load_seconds: float = Field(
        default=15.0,
        gt=0,
        description="How often `tenure serve` moves acknowledged events from its intake log "
        "into the events table.",
    )

    login_max_failures: int = Field(
        default=5,
        ge=1,
        description="Wrong passwords for one account within login_lockout_minutes before its "
        "logins are refused until the window has passed.",
    )
    login_max_failures_per_address: int = Field(
        default=20,
        ge=1,
        description="Wrong passwords from one network address (any accounts) within "
        "login_lockout_minutes before logins from it are refused.",
    )
    login_lockout_minutes: int = Field(
        default=15, ge=1, le=1440, description="The login throttle's window, in minutes."
    )
    event_retention_days: int | None = Field(
        default=None,
        ge=90,
        le=36600,
        description="Keep raw product events this many days (at least 90, longer than every "
        "metric window); `tenure daily` and `tenure usage prune` delete older event days, "
        "keeping the daily metrics computed from them. Default: keep every event.",
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
