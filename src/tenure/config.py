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

    agent_email: str = Field(
        default="agent@tenure.invalid",
        description="Email of the agent's own service user (a viewer that cannot log in), "
        "under which every action of the agent is audited.",
    )
    agent_schedule: str | None = Field(
        default=None,
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
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

    # -- messaging: the outbox and SMTP ------------------------------------------------------
    smtp_host: str = Field(default="127.0.0.1", description="SMTP server that sends the outbox.")
    smtp_port: int = Field(default=25, description="SMTP server port (587 with STARTTLS, 465 TLS).")
    smtp_tls: str = Field(
        default="none",
        pattern="^(none|starttls|tls)$",
        description="SMTP encryption: none, starttls (upgrade after connecting) or tls "
        "(implicit TLS).",
    )
    smtp_user: str | None = Field(default=None, description="SMTP login user; none: no login.")
    smtp_password: str | None = Field(default=None, description="SMTP login password.")
    smtp_timeout_seconds: float = Field(
        default=30.0, gt=0, description="How long one SMTP conversation step may take."
    )
    mail_from: str = Field(
        default="Tenure <tenure@localhost>",
        description="From address of every message (a CSM's own address goes in Reply-To).",
    )
    mail_reply_to: str | None = Field(
        default=None,
        description="Reply-To for messages without an author; default the author's email.",
    )
    mail_internal_to: str | None = Field(
        default=None,
        description="Internal list that incident briefs go to (e.g. cs-team@example.com).",
    )
    mail_support_to: str | None = Field(
        default=None, description="Where hand-offs to support go (an email address)."
    )
    mail_sales_to: str | None = Field(
        default=None, description="Where hand-offs to sales go (an email address)."
    )
    mail_product_to: str | None = Field(
        default=None, description="Where hand-offs to product go (an email address)."
    )
    mail_daily_limit: int = Field(
        default=500, ge=0, description="At most this many messages sent per UTC day."
    )
    mail_touches_per_week: int = Field(
        default=0,
        ge=0,
        description="At most this many client messages to one person in 7 days, across every "
        "sender (CSMs, announcements, surveys, the agent); more wait their turn. 0: no limit.",
    )
    mail_max_attempts: int = Field(
        default=5, ge=1, description="Attempts before a message that keeps failing is failed."
    )
    mail_retry_seconds: float = Field(
        default=60.0,
        ge=0,
        description="Wait after the first failed attempt; doubled after each further one.",
    )
    mail_sending_lease_seconds: float = Field(
        default=300.0,
        gt=0,
        description="A message left in `sending` this long by a sender that stopped is "
        "recovered by the next sender (sent again only if its text never left).",
    )
    mail_send_seconds: float = Field(
        default=30.0, gt=0, description="How often `tenure serve` sends approved messages."
    )
    mail_self_approval: bool = Field(
        default=False,
        description="Let the author of a client message approve it (off: a second person "
        "approves every client message).",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Address clients reach this Tenure at, for unsubscribe and report links.",
    )
    secret_key: str | None = Field(
        default=None,
        description="Key that signs unsubscribe links and webhooks; default a random key kept "
        "in the data dir (set it when several machines serve one database).",
    )
    webhook_support_url: str | None = Field(
        default=None, description="Webhook that hand-offs to support are posted to."
    )
    webhook_sales_url: str | None = Field(
        default=None, description="Webhook that hand-offs to sales are posted to."
    )
    webhook_product_url: str | None = Field(
        default=None, description="Webhook that hand-offs to product are posted to."
    )
    webhook_secret: str | None = Field(
        default=None,
        description="Shared secret of the HMAC-SHA256 signature of every webhook body; "
        "default the secret key.",
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

    def resolved_secret_key(self) -> str:
        """The configured key, or one made once and kept in the data dir (owner-only)."""
        if self.secret_key:
            return self.secret_key
        import secrets

        path = self.data_dir / "secret_key"
        if path.is_file():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(32)
        # Created exclusively so that two processes starting together agree on one key.
        try:
            with open(path, "x") as handle:
                handle.write(key)
            path.chmod(0o600)
        except FileExistsError:
            return path.read_text().strip()
        return key
