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

    agent_email: str = Field(
        default="agent@tenure.invalid",
        description="Email of the agent's own service user (a viewer that cannot log in), "
        "under which every action of the agent is audited.",
    )
    agent_schedule: str | None = Field(
        default=None,
        description="Time of day (HH:MM, UTC) at which `tenure serve` runs the agent over "
        "every book; default none (run `tenure agent run` from cron instead).",
    )
    agent_llm_url: str | None = Field(
        default=None,
        description="Base URL of an OpenAI-compatible chat completions API (e.g. "
        "http://127.0.0.1:8080/v1) that drafts the agent's message text; default none: "
        "templates only.",
    )
    agent_llm_model: str = Field(
        default="gpt-4o-mini", description="With agent_llm_url: the model name to ask for."
    )
    agent_llm_key: str | None = Field(
        default=None, description="With agent_llm_url: the API key, sent as a Bearer token."
    )
    agent_llm_timeout: float = Field(
        default=30.0,
        gt=0,
        description="With agent_llm_url: seconds to wait for an answer before the template "
        "is used instead.",
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
