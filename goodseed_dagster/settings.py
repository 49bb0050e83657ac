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
