"""Settings: one frozen object read from ``MIZAN_*`` environment variables and validated at start."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

MODES = ("embedded", "production")


class ConfigError(ValueError):
    """A setting is missing or invalid; raised at start, never at first use."""


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "mizan"


def _int(env: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{name} must be between {lo} and {hi}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, lo: float, hi: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{name} must be between {lo} and {hi}, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _origins(raw: str) -> tuple[str, ...]:
    out = []
    for item in raw.replace(",", " ").split():
        parts = urlsplit(item)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
            raise ConfigError(
                f"MIZAN_ALLOWED_ORIGINS entries must look like https://example.com, got {item!r}"
            )
        out.append(f"{parts.scheme}://{parts.netloc.lower()}")
    return tuple(out)


def _networks(raw: str, name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    out = []
    for item in raw.replace(",", " ").split():
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(f"{name} has an invalid address or network: {item!r}") from None
    return tuple(out)


@dataclass(frozen=True)
class Settings:
    """Everything the service, the worker and the CLI read from the environment."""

    mode: str = "embedded"
    data_dir: Path = field(default_factory=_default_data_dir)
    database_url: str = ""
    broker_url: str = ""
    secret_key: str = ""
    allowed_origins: tuple[str, ...] = ()
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    host: str = "127.0.0.1"
    port: int = 8000
    max_request_bytes: int = 64 * 1024
    max_body_chars: int = 10_000
    honeypot_field: str = "mizan_hp"
    pending_requeue_seconds: int = 30
    sweep_interval_seconds: int = 15
    retention_days: int = 90
    public_cache_seconds: int = 15
    model_path: str = ""
    log_level: str = "INFO"
    api_workers: int = 2
    api_threads: int = 4
    worker_concurrency: int = 1
    task_soft_time_limit: float = 20.0
    task_time_limit: float = 30.0
    db_pool_size: int = 5

    @property
    def embedded(self) -> bool:
        return self.mode == "embedded"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read and validate the settings; fill embedded-mode defaults; raise ConfigError."""
        env = os.environ if env is None else env
        mode = env.get("MIZAN_MODE", "embedded").strip().lower() or "embedded"
        if mode not in MODES:
            raise ConfigError(f"MIZAN_MODE must be one of {', '.join(MODES)}, got {mode!r}")
        data_dir = Path(env.get("MIZAN_DATA_DIR") or _default_data_dir()).expanduser()
        database_url = env.get("MIZAN_DATABASE_URL", "").strip()
        broker_url = env.get("MIZAN_BROKER_URL", "").strip()
        secret = env.get("MIZAN_SECRET_KEY", "").strip()
        if mode == "production":
            missing = [
                name
                for name, value in (
                    ("MIZAN_SECRET_KEY", secret),
                    ("MIZAN_DATABASE_URL", database_url),
                    ("MIZAN_BROKER_URL", broker_url),
                    ("MIZAN_ALLOWED_ORIGINS", env.get("MIZAN_ALLOWED_ORIGINS", "").strip()),
                )
                if not value
            ]
            if missing:
                raise ConfigError(f"production mode needs {', '.join(missing)}")
        if secret and len(secret) < 32:
            raise ConfigError("MIZAN_SECRET_KEY must be at least 32 characters")
        if database_url and not database_url.startswith(("postgresql", "sqlite")):
            raise ConfigError("MIZAN_DATABASE_URL must be a postgresql:// or sqlite:// URL")
        if database_url.startswith("postgresql://"):
            database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
        level = env.get("MIZAN_LOG_LEVEL", "INFO").upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ConfigError(f"MIZAN_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {level!r}")
        honeypot = env.get("MIZAN_HONEYPOT_FIELD", "mizan_hp").strip()
        if not honeypot.isidentifier():
            raise ConfigError("MIZAN_HONEYPOT_FIELD must be a plain field name")
        soft = _float(env, "MIZAN_TASK_SOFT_TIME_LIMIT", 20.0, 1.0, 3600.0)
        hard = _float(env, "MIZAN_TASK_TIME_LIMIT", 30.0, 1.0, 3600.0)
        if hard <= soft:
            raise ConfigError("MIZAN_TASK_TIME_LIMIT must be greater than MIZAN_TASK_SOFT_TIME_LIMIT")
        return cls(
            mode=mode,
            data_dir=data_dir,
            database_url=database_url,
            broker_url=broker_url,
            secret_key=secret,
            allowed_origins=_origins(env.get("MIZAN_ALLOWED_ORIGINS", "")),
            trusted_proxies=_networks(env.get("MIZAN_TRUSTED_PROXIES", ""), "MIZAN_TRUSTED_PROXIES"),
            host=env.get("MIZAN_HOST", "127.0.0.1"),
            port=_int(env, "MIZAN_PORT", 8000, 1, 65535),
            max_request_bytes=_int(env, "MIZAN_MAX_REQUEST_BYTES", 64 * 1024, 1024, 1 << 24),
            max_body_chars=_int(env, "MIZAN_MAX_BODY_CHARS", 10_000, 1, 60_000),
            honeypot_field=honeypot,
            pending_requeue_seconds=_int(env, "MIZAN_PENDING_REQUEUE_SECONDS", 30, 1, 86_400),
            sweep_interval_seconds=_int(env, "MIZAN_SWEEP_INTERVAL_SECONDS", 15, 1, 86_400),
            retention_days=_int(env, "MIZAN_RETENTION_DAYS", 90, 1, 3650),
            public_cache_seconds=_int(env, "MIZAN_PUBLIC_CACHE_SECONDS", 15, 0, 86_400),
            model_path=env.get("MIZAN_MODEL_PATH", "").strip(),
            log_level=level,
            api_workers=_int(env, "MIZAN_API_WORKERS", 2, 1, 64),
            api_threads=_int(env, "MIZAN_API_THREADS", 4, 1, 64),
            worker_concurrency=_int(env, "MIZAN_WORKER_CONCURRENCY", 1, 1, 64),
            task_soft_time_limit=soft,
            task_time_limit=hard,
            db_pool_size=_int(env, "MIZAN_DB_POOL_SIZE", 5, 1, 100),
        )

    def resolved(self) -> Settings:
        """Fill what embedded mode derives from the data directory (SQLite file, kept secret)."""
        changes: dict[str, object] = {}
        if not self.database_url:
            if not self.embedded:
                raise ConfigError("MIZAN_DATABASE_URL is required in production mode")
            self.data_dir.mkdir(parents=True, exist_ok=True)
            changes["database_url"] = f"sqlite:///{self.data_dir / 'mizan.sqlite3'}"
        if not self.broker_url:
            if not self.embedded:
                raise ConfigError("MIZAN_BROKER_URL is required in production mode")
            # The embedded Redis that `mizan up` starts listens on this socket.
            changes["broker_url"] = f"redis+socket://{self.data_dir / 'redis.sock'}"
        if not self.secret_key:
            if not self.embedded:
                raise ConfigError("MIZAN_SECRET_KEY is required in production mode")
            changes["secret_key"] = _embedded_secret(self.data_dir)
        return replace(self, **changes) if changes else self


def _embedded_secret(data_dir: Path) -> str:
    """Generate the secret once and keep it in the data directory, readable by its owner only."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    value = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its secret
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    return value


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read, validate and resolve the settings for this process."""
    return Settings.from_env(env).resolved()
