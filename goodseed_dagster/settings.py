"""The one Settings object: every knob (GOODSEED_* and DATABASE_URL), with defaults that run the demo.

Entry points build it: the code location (`definitions.defs`), the CLI, the API, the demo. Nothing reads
the environment at import time; Definitions and resources are built from a Settings value.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL_ENV = "DATABASE_URL"  # a secret: resources read it as dg.EnvVar(DATABASE_URL_ENV) at launch


class Settings(BaseSettings):
    """Every knob has a default that runs the demo on a fresh machine."""

    model_config = SettingsConfigDict(env_prefix="GOODSEED_", extra="ignore")

    home: Path = Field(default=PROJECT_ROOT / ".goodseed", description="Local state: Postgres data, archive.")
    database_url: SecretStr | None = Field(default=None, validation_alias=DATABASE_URL_ENV)
    sources_file: Path | None = None
    archive_dir: Path | None = None
    s3_bucket: str | None = None
    s3_prefix: str = "goodseed/"
    s3_endpoint_url: str | None = None
    base_currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    fx_url: str = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"
    max_crawl_delay_s: float = Field(
        default=60.0, gt=0, description="Cap on robots.txt Crawl-delay / Request-rate."
    )
    crawl_deadline_s: float = Field(
        default=7200.0, gt=0, description="A crawl still running after this stops partial."
    )
    page_budget_s: float = Field(
        default=2.0, gt=0, description="CPU seconds extraction may spend on one page."
    )
    polite: bool = Field(
        default=True,
        description="Pace crawls per robots.txt and the source's rate; off only for local test shops.",
    )
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    ui_port: int = 3000
    market_port: int = 8765

    # operations (#15): automation, quality gates, alerts, housekeeping, backups
    crawl_cron: str = Field(default="0 2 * * *", description="When the daily crawl of every seller starts.")
    timezone: str = Field(default="UTC", description="IANA zone the schedules run in.")
    alert_urls: list[SecretStr] = Field(
        default_factory=list, description="apprise URLs alerts go to (several allowed; they may hold tokens)."
    )
    freshness_hours: float = Field(default=36.0, gt=0, description="A seller not refreshed this long alerts.")
    ui_url: str | None = Field(
        default=None, description="Dagster UI base URL for alert links; default http://127.0.0.1:{ui_port}."
    )
    listing_drop_max: float = Field(
        default=0.5, gt=0, lt=1, description="Share of listings a crawl may lose against the previous one."
    )
    min_fill_rate: float = Field(default=0.8, ge=0, le=1, description="Required fields' minimum fill rate.")
    max_quarantine_share: float = Field(default=0.2, ge=0, le=1, description="Quarantined rows' maximum share.")
    price_per_seed_min: float = Field(default=0.05, gt=0, description="Sane price per seed, base currency: low.")
    price_per_seed_max: float = Field(default=100.0, gt=0, description="Sane price per seed, base currency: high.")
    run_retention_days: int = Field(default=30, gt=0, description="Dagster run records kept this long.")
    price_history_retention_days: int = Field(
        default=730, gt=0, description="price_history rows older than this move to Parquet in the archive."
    )
    backup_keep: int = Field(default=14, gt=0, description="Daily backups kept in the archive store.")

    # serving (#16): API limits, auth, roles, replica
    api_token: SecretStr | None = Field(default=None, description="Bearer token of the admin routes.")
    api_rate_per_minute: int = Field(default=100, gt=0, description="Requests per client per minute.")
    cors_origins: list[str] = Field(default_factory=list)
    api_cache_entries: int = Field(
        default=2048, ge=0, description="Responses the API keeps in memory per process (0: no cache)."
    )
    api_max_age_s: int = Field(default=30, ge=0, description="Cache-Control max-age of API responses.")
    api_read_pool_size: int = Field(
        default=16, ge=1, description="Most read connections per API process, opened as load needs them."
    )
    api_db_timeout_s: float = Field(
        default=5.0, gt=0, description="Seconds a request waits for a database connection before a 503."
    )
    database_read_url: SecretStr | None = Field(default=None, validation_alias="DATABASE_READ_URL")
    api_role_password: SecretStr | None = None
    analyst_role_password: SecretStr | None = None

    # notifications (#17): SMTP, limits, links
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=8025, gt=0, lt=65536)
    smtp_starttls: bool = Field(default=False, description="STARTTLS after connecting (port 587 style).")
    smtp_ssl: bool = Field(default=False, description="TLS from the first byte (port 465 style).")
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    mail_from: str = "GoodSeed <alerts@goodseed.local>"
    public_api_url: str | None = Field(
        default=None, description="Base of unsubscribe links; default http://{api_host}:{api_port}."
    )
    notify_per_minute: int = Field(default=10, gt=0, description="Emails per user per minute at most.")
    notify_max_attempts: int = Field(default=5, gt=0, description="Delivery attempts before dead letter.")
    notify_backoff_s: float = Field(default=60.0, gt=0, description="First retry delay; doubles each time.")
    notify_reclaim_s: float = Field(
        default=900.0, gt=0, description="A message `sending` this long (its sender died) is claimed again."
    )
    team_email: str | None = Field(
        default="data-team@goodseed.local", description="Who gets the data team's weekly report (None: nobody)."
    )

    @property
    def archive_root(self) -> Path:
        return self.archive_dir or self.home / "archive"

    @property
    def sources_path(self) -> Path:
        return self.sources_file or self.home / "sources.yaml"

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"


def get_settings() -> Settings:
    """The process's settings, read from its environment now (no cache: a test may change the environment)."""
    return Settings()
