"""Process-wide settings from the environment (GOODSEED_* and DATABASE_URL), with sensible local defaults."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every knob has a default that runs the demo on a fresh machine."""

    model_config = SettingsConfigDict(env_prefix="GOODSEED_", extra="ignore")

    home: Path = Field(default=PROJECT_ROOT / ".goodseed", description="Local state: Postgres data, archive.")
    database_url: SecretStr | None = Field(default=None, validation_alias="DATABASE_URL")
    sources_file: Path | None = None
    archive_dir: Path | None = None
    s3_bucket: str | None = None
    s3_prefix: str = "goodseed/"
    s3_endpoint_url: str | None = None
    base_currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    fx_url: str = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"
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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
