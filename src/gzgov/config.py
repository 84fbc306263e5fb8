"""One validated settings object, read from the environment.

| variable | default | meaning |
| --- | --- | --- |
| GZGOV_ENV | development | `production` refuses the development placeholder secrets |
| GZGOV_DATABASE_URL | sqlite:///var/gzgov.db | SQLAlchemy URL; PostgreSQL via postgresql+psycopg://... |
| GZGOV_SECRET_KEY | dev placeholder | signs session cookies and CSRF tokens |
| GZGOV_DATA_KEY | dev placeholder | 32-byte key (urlsafe base64) encrypting ID and bank numbers at rest |
| GZGOV_DATA_DIR | <repo>/data | policy data (YAML): standards, funding ratios, ... |
| GZGOV_VAR_DIR | <repo>/var | runtime files: SQLite database, bank files, exports |
| GZGOV_LOGIN_MAX_FAILURES | 5 | failed logins per user and address within 15 minutes before refusal |
| GZGOV_DUCKDB_MEMORY | 3GB | memory cap of the rule engine's DuckDB (`gzgov finreg check`); beyond it, spill to var/tmp/duckdb |
| GZGOV_SPARK_MASTER | local[2] | Spark master for `gzgov finreg check --engine spark` (e.g. spark://host:7077) |
| GZGOV_SPARK_DRIVER_MEMORY | 1g | the Spark driver's memory |
| GZGOV_SPARK_SHUFFLE_PARTITIONS | 4 | spark.sql.shuffle.partitions |
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEV_SECRET = "gzgov-development-secret-do-not-use-in-production"


class ConfigError(RuntimeError):
    pass


def _dev_data_key() -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(b"gzgov-dev-data-key").digest()).decode()


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    database_url: str = ""
    secret_key: str = DEV_SECRET
    data_key: str = field(default_factory=_dev_data_key)
    data_dir: Path = REPO_ROOT / "data"
    var_dir: Path = REPO_ROOT / "var"
    login_max_failures: int = 5

    @property
    def data_key_bytes(self) -> bytes:
        raw = base64.urlsafe_b64decode(self.data_key.encode())
        if len(raw) != 32:
            raise ConfigError("GZGOV_DATA_KEY must be 32 bytes, urlsafe-base64 encoded")
        return raw

    def validate(self) -> Settings:
        if self.env == "production":
            if self.secret_key == DEV_SECRET:
                raise ConfigError("GZGOV_SECRET_KEY must be set in production")
            if self.data_key == _dev_data_key():
                raise ConfigError("GZGOV_DATA_KEY must be set in production")
        self.data_key_bytes  # noqa: B018 - raises on a malformed key
        return self


def load_settings() -> Settings:
    env = os.environ
    var_dir = Path(env.get("GZGOV_VAR_DIR") or REPO_ROOT / "var")
    url = env.get("GZGOV_DATABASE_URL") or f"sqlite:///{var_dir / 'gzgov.db'}"
    return Settings(
        env=env.get("GZGOV_ENV", "development"),
        database_url=url,
        secret_key=env.get("GZGOV_SECRET_KEY") or DEV_SECRET,
        data_key=env.get("GZGOV_DATA_KEY") or _dev_data_key(),
        data_dir=Path(env.get("GZGOV_DATA_DIR") or REPO_ROOT / "data"),
        var_dir=var_dir,
        login_max_failures=int(env.get("GZGOV_LOGIN_MAX_FAILURES", "5")),
    ).validate()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
