"""Settings: one frozen object read from ``MIZAN_*`` environment variables, validated at start."""

from __future__ import annotations

import ipaddress
import json
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
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return Path(base) / "mizan"


def env_int(env: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    """An integer setting in [lo, hi], or `default` when unset; ConfigError otherwise."""
    raw = env.get(name, "").strip()
    if not raw:
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


def _post_url_template(raw: str) -> str:
    raw = raw.strip()
    if not raw:
        return ""
    parts = urlsplit(raw.replace("{post_id}", "x"))
    if (
        "{post_id}" not in raw
        or parts.scheme not in ("http", "https")
        or not parts.netloc
        or any(c in raw for c in " \"'<>`\\")
    ):
        raise ConfigError(
            "MIZAN_POST_URL_TEMPLATE must be an http(s) URL with {post_id} in it, "
            f"like https://news.example/?p={{post_id}}, got {raw!r}"
        )
    return raw


def _networks(raw: str, name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    out = []
    for item in raw.replace(",", " ").split():
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(f"{name} has an invalid address or network: {item!r}") from None
    return tuple(out)


def _timezone(name: str) -> str:
    """An IANA zone name the system (or the tzdata package) knows, e.g. Africa/Tripoli."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"MIZAN_TIMEZONE must be an IANA time zone like Africa/Tripoli, got {name!r}"
        ) from None
    return name


@dataclass(frozen=True)
class DeskSettings:
    """The moderation desk's settings (part of Settings, read and validated with it)."""

    report_threshold: int = 3
    reports_per_ip_hour: int = 10
    reports_per_comment_hour: int = 200
    login_max_failures: int = 5
    login_window_seconds: int = 900
    session_hours: int = 12
    # The IANA zone every time in the desk is shown in (validated at start).
    timezone: str = "UTC"
    # A banner (and /metrics) once the oldest held comment waits longer than this (0: never).
    queue_alert_minutes: int = 60

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DeskSettings:
        env = os.environ if env is None else env
        return cls(
            timezone=_timezone(env.get("MIZAN_TIMEZONE", "").strip() or "UTC"),
            queue_alert_minutes=env_int(env, "MIZAN_QUEUE_ALERT_MINUTES", 60, 0, 525_600),
            report_threshold=env_int(env, "MIZAN_REPORT_THRESHOLD", 3, 1, 1000),
            reports_per_ip_hour=env_int(env, "MIZAN_REPORTS_PER_IP_HOUR", 10, 1, 10_000),
            reports_per_comment_hour=env_int(
                env, "MIZAN_REPORTS_PER_COMMENT_HOUR", 200, 1, 100_000
            ),
            login_max_failures=env_int(env, "MIZAN_LOGIN_MAX_FAILURES", 5, 1, 1000),
            login_window_seconds=env_int(env, "MIZAN_LOGIN_WINDOW_SECONDS", 900, 10, 86_400),
            session_hours=env_int(env, "MIZAN_SESSION_HOURS", 12, 1, 720),
        )


@dataclass(frozen=True)
class IntegrationSettings:
    """The Akismet-compatible API and webhooks (part of Settings, read and validated with it)."""

    # MIZAN_AKISMET_TIMEOUT: seconds comment-check waits for a decision before answering the
    #   documented error (the client then holds the comment; a worker still decides it).
    akismet_timeout: float = 0.25
    # MIZAN_AKISMET_DISCARD_SPAM: a spam score from which spam is blatant enough to answer
    #   `X-akismet-pro-tip: discard` (spam found by a ban, blocked term or domain always is).
    akismet_discard_spam: float = 0.99
    # MIZAN_WEBHOOK_TIMEOUT: seconds to connect to and hear back from an endpoint.
    webhook_timeout: float = 5.0
    # MIZAN_WEBHOOK_MAX_ATTEMPTS: attempts per delivery before it is marked failed.
    webhook_max_attempts: int = 8
    # MIZAN_WEBHOOK_RETRY_BASE: seconds before the first retry; doubled each time (capped at an
    #   hour), with full jitter.
    webhook_retry_base: float = 10.0
    # MIZAN_WEBHOOK_DISABLE_AFTER: consecutive failed attempts that disable an endpoint.
    webhook_disable_after: int = 20
    # MIZAN_WEBHOOK_DISPATCH_SECONDS: how often the beat turns new decisions into events and
    #   re-sends deliveries whose task was lost (events are also dispatched at once after each
    #   decision).
    webhook_dispatch_seconds: float = 5.0
    # MIZAN_WEBHOOK_ALLOW_PRIVATE: allow endpoints on loopback, private, link-local and other
    #   non-public addresses (a CMS on the same network). Off: a desk account could otherwise
    #   make the service POST to internal services and cloud metadata addresses.
    webhook_allow_private: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IntegrationSettings:
        env = os.environ if env is None else env
        return cls(
            akismet_timeout=_float(env, "MIZAN_AKISMET_TIMEOUT", 0.25, 0.01, 30.0),
            akismet_discard_spam=_float(env, "MIZAN_AKISMET_DISCARD_SPAM", 0.99, 0.0, 1.0),
            webhook_timeout=_float(env, "MIZAN_WEBHOOK_TIMEOUT", 5.0, 0.1, 30.0),
            webhook_max_attempts=env_int(env, "MIZAN_WEBHOOK_MAX_ATTEMPTS", 8, 1, 50),
            webhook_retry_base=_float(env, "MIZAN_WEBHOOK_RETRY_BASE", 10.0, 0.05, 3600.0),
            webhook_disable_after=env_int(env, "MIZAN_WEBHOOK_DISABLE_AFTER", 20, 1, 10_000),
            webhook_dispatch_seconds=_float(
                env, "MIZAN_WEBHOOK_DISPATCH_SECONDS", 5.0, 0.5, 3600.0
            ),
            webhook_allow_private=_bool(env, "MIZAN_WEBHOOK_ALLOW_PRIVATE", False),
        )


@dataclass(frozen=True)
class Settings:
    """Everything the service, the worker and the CLI read from the environment."""

    mode: str = "embedded"
    data_dir: Path = field(default_factory=_default_data_dir)
    database_url: str = ""
    broker_url: str = ""
    secret_key: str = ""
    allowed_origins: tuple[str, ...] = ()
    # MIZAN_POST_URL_TEMPLATE: where a plain form's reader goes back to when the form sends no
    #   permalink, e.g. https://news.example/?p={post_id} (WordPress resolves it to the article).
    post_url_template: str = ""
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
    model_check_seconds: float = 5.0
    desk: DeskSettings = field(default_factory=DeskSettings)
    integrations: IntegrationSettings = field(default_factory=IntegrationSettings)
    log_level: str = "INFO"
    api_workers: int = 2
    api_threads: int = 8
    # MIZAN_REQUEST_HEADER_TIMEOUT / MIZAN_REQUEST_BODY_TIMEOUT: seconds the front of `mizan api`
    #   waits for a request's headers (from its first byte) and then for its body; 408 after.
    request_header_timeout: float = 10.0
    request_body_timeout: float = 30.0
    worker_concurrency: int = 1
    task_soft_time_limit: float = 20.0
    task_time_limit: float = 30.0
    db_pool_size: int = 5
    # Bearer token for GET /metrics. Production mode without one answers 403 to every scrape;
    # embedded mode (listening on localhost) without one leaves /metrics open.
    metrics_token: str = ""
    # --- moderation policy (worker/policy.py, service/intake_rules.py) ---------------------------
    # MIZAN_SHADOW_MODE: off | hold | approve. Decisions are computed and recorded (applied=false)
    #   but every comment gets the fixed outcome, so a site can watch the model before trusting it.
    shadow_mode: str = "off"
    # MIZAN_THRESHOLD_APPROVE_SPAM / _APPROVE_ABUSE / _APPROVE_ABUSE_INSULT / _SPAM /
    #   _HOLD_SPAM_UNSUPPORTED / _REJECT_ABUSE: override the model's
    #   thresholds (probabilities 0..1); empty = use the thresholds shipped with the model.
    threshold_overrides: tuple[tuple[str, float], ...] = ()
    # MIZAN_SECTION_THRESHOLDS: JSON object {section: {threshold name: value}}, e.g.
    #   {"sport": {"approve_abuse": 0.6}}; applies to posts submitted with that section.
    section_thresholds: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = ()
    # MIZAN_HIGH_ABUSE_ACTION: reject | hold, what an abuse score at/above reject_abuse does.
    high_abuse_action: str = "reject"
    # MIZAN_MAX_LINKS: more links than this (the author URL counts) holds the comment.
    max_links: int = 2
    # MIZAN_FLOOD_EMAIL_LIMIT / MIZAN_FLOOD_EMAIL_WINDOW: more than LIMIT comments from one email
    #   within WINDOW seconds are refused at intake with 429 + Retry-After (0 disables).
    flood_email_limit: int = 1
    flood_email_window: int = 15
    # MIZAN_FLOOD_IP_LIMIT / MIZAN_FLOOD_IP_WINDOW: the same per client IP; looser than per email
    #   because mobile carriers put many readers behind one address (0 disables).
    flood_ip_limit: int = 10
    flood_ip_window: int = 60
    # MIZAN_FLOOD_HOLD_EMAIL_LIMIT / MIZAN_FLOOD_HOLD_IP_LIMIT / MIZAN_FLOOD_HOLD_WINDOW: the soft
    #   limit; more comments than this within the window (seconds) are held (0 disables).
    flood_hold_email_limit: int = 5
    flood_hold_ip_limit: int = 30
    flood_hold_window: int = 600
    # MIZAN_DUPLICATE_WINDOW: seconds during which the same or nearly the same text posted again
    #   (by anyone, on any article) is spam after the first, and the same author posting the same
    #   text twice on one post is refused with 409 (0 disables both).
    duplicate_window: int = 86_400
    # MIZAN_TRUSTED_MIN_APPROVED: approved comments under the same email AND the same signed
    #   browser token that make an author trusted (0 disables trust).
    trusted_min_approved: int = 3
    # MIZAN_POLICY_CACHE_SECONDS: how long word lists, bans and post settings are cached per
    #   process; a moderator's edit takes effect within this time.
    policy_cache_seconds: float = 5.0
    # MIZAN_SCORE_BATCH: most comments one task claims and decides together (1 = no batching).
    score_batch: int = 64

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
            raise ConfigError(
                f"MIZAN_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {level!r}"
            )
        honeypot = env.get("MIZAN_HONEYPOT_FIELD", "mizan_hp").strip()
        if not honeypot.isidentifier():
            raise ConfigError("MIZAN_HONEYPOT_FIELD must be a plain field name")
        soft = _float(env, "MIZAN_TASK_SOFT_TIME_LIMIT", 20.0, 1.0, 3600.0)
        hard = _float(env, "MIZAN_TASK_TIME_LIMIT", 30.0, 1.0, 3600.0)
        if hard <= soft:
            raise ConfigError(
                "MIZAN_TASK_TIME_LIMIT must be greater than MIZAN_TASK_SOFT_TIME_LIMIT"
            )
        return cls(
            mode=mode,
            data_dir=data_dir,
            database_url=database_url,
            broker_url=broker_url,
            secret_key=secret,
            allowed_origins=_origins(env.get("MIZAN_ALLOWED_ORIGINS", "")),
            post_url_template=_post_url_template(env.get("MIZAN_POST_URL_TEMPLATE", "")),
            trusted_proxies=_networks(
                env.get("MIZAN_TRUSTED_PROXIES", ""), "MIZAN_TRUSTED_PROXIES"
            ),
            host=env.get("MIZAN_HOST", "127.0.0.1"),
            port=env_int(env, "MIZAN_PORT", 8000, 1, 65535),
            max_request_bytes=env_int(env, "MIZAN_MAX_REQUEST_BYTES", 64 * 1024, 1024, 1 << 24),
            max_body_chars=env_int(env, "MIZAN_MAX_BODY_CHARS", 10_000, 1, 60_000),
            honeypot_field=honeypot,
            pending_requeue_seconds=env_int(env, "MIZAN_PENDING_REQUEUE_SECONDS", 30, 1, 86_400),
            sweep_interval_seconds=env_int(env, "MIZAN_SWEEP_INTERVAL_SECONDS", 15, 1, 86_400),
            retention_days=env_int(env, "MIZAN_RETENTION_DAYS", 90, 1, 3650),
            public_cache_seconds=env_int(env, "MIZAN_PUBLIC_CACHE_SECONDS", 15, 0, 86_400),
            model_path=env.get("MIZAN_MODEL_PATH", "").strip(),
            model_check_seconds=_float(env, "MIZAN_MODEL_CHECK_SECONDS", 5.0, 0.0, 86_400.0),
            desk=DeskSettings.from_env(env),
            integrations=IntegrationSettings.from_env(env),
            log_level=level,
            api_workers=env_int(env, "MIZAN_API_WORKERS", 2, 1, 64),
            api_threads=env_int(env, "MIZAN_API_THREADS", 8, 1, 64),
            request_header_timeout=_float(env, "MIZAN_REQUEST_HEADER_TIMEOUT", 10.0, 1.0, 300.0),
            request_body_timeout=_float(env, "MIZAN_REQUEST_BODY_TIMEOUT", 30.0, 1.0, 3600.0),
            worker_concurrency=env_int(env, "MIZAN_WORKER_CONCURRENCY", 1, 1, 64),
            task_soft_time_limit=soft,
            task_time_limit=hard,
            db_pool_size=env_int(env, "MIZAN_DB_POOL_SIZE", 5, 1, 100),
            metrics_token=_metrics_token(env),
            **_policy_settings(env),
        )

    def resolved(self) -> Settings:
        """Fill what embedded mode derives from the data directory (SQLite file, kept secret)."""
        changes: dict[str, object] = {}
        if not self.database_url:
            if not self.embedded:
                raise ConfigError("MIZAN_DATABASE_URL is required in production mode")
            _private_dir(self.data_dir)
            database = self.data_dir / "mizan.sqlite3"
            # SQLite gives its -wal and -shm files the database file's mode: create it 0600 so
            # none of them is readable by other users (it holds encrypted emails and IPs).
            os.close(os.open(database, os.O_RDWR | os.O_CREAT, 0o600))
            database.chmod(0o600)
            changes["database_url"] = f"sqlite:///{database}"
        if not self.broker_url:
            if not self.embedded:
                raise ConfigError("MIZAN_BROKER_URL is required in production mode")
            # The embedded Redis that `mizan up` starts listens on this socket.
            changes["broker_url"] = f"redis+socket://{self.data_dir / 'redis.sock'}"
        if not self.secret_key:
            if not self.embedded:
                raise ConfigError("MIZAN_SECRET_KEY is required in production mode")
            changes["secret_key"] = _embedded_secret(self.data_dir)
        return replace(self, **changes) if changes else self  # type: ignore[arg-type]


THRESHOLD_NAMES = (
    "approve_spam",
    "approve_abuse",
    "approve_abuse_insult",
    "spam",
    "hold_spam_unsupported",
    "reject_abuse",
)


def _policy_settings(env: Mapping[str, str]) -> dict:
    """Read and validate the moderation policy's settings (see the field comments in Settings)."""
    shadow = env.get("MIZAN_SHADOW_MODE", "off").strip().lower() or "off"
    if shadow not in ("off", "hold", "approve"):
        raise ConfigError(f"MIZAN_SHADOW_MODE must be off, hold or approve, got {shadow!r}")
    high = env.get("MIZAN_HIGH_ABUSE_ACTION", "reject").strip().lower() or "reject"
    if high not in ("reject", "hold"):
        raise ConfigError(f"MIZAN_HIGH_ABUSE_ACTION must be reject or hold, got {high!r}")
    overrides = []
    for name in THRESHOLD_NAMES:
        key = f"MIZAN_THRESHOLD_{name.upper()}"
        if env.get(key, "").strip():
            overrides.append((name, _float(env, key, 0.5, 0.0, 1.0)))
    sections: list = []
    raw = env.get("MIZAN_SECTION_THRESHOLDS", "").strip()
    if raw:
        try:
            parsed = json.loads(raw)
        except ValueError:
            raise ConfigError("MIZAN_SECTION_THRESHOLDS must be a JSON object") from None
        if not isinstance(parsed, dict):
            raise ConfigError("MIZAN_SECTION_THRESHOLDS must be a JSON object")
        for section, values in sorted(parsed.items()):
            if not isinstance(values, dict) or not values:
                raise ConfigError(
                    f"MIZAN_SECTION_THRESHOLDS[{section!r}] must be a non-empty object"
                )
            items = []
            for name, value in sorted(values.items()):
                if name not in THRESHOLD_NAMES:
                    raise ConfigError(
                        f"MIZAN_SECTION_THRESHOLDS[{section!r}] has an unknown "
                        f"threshold {name!r}; use {', '.join(THRESHOLD_NAMES)}"
                    )
                number = isinstance(value, int | float) and not isinstance(value, bool)
                if not number or not 0 <= value <= 1:
                    raise ConfigError(
                        f"MIZAN_SECTION_THRESHOLDS[{section!r}][{name!r}] must be "
                        "a number between 0 and 1"
                    )
                items.append((name, float(value)))
            sections.append((str(section), tuple(items)))
    return dict(
        shadow_mode=shadow,
        threshold_overrides=tuple(overrides),
        section_thresholds=tuple(sections),
        high_abuse_action=high,
        max_links=env_int(env, "MIZAN_MAX_LINKS", 2, 0, 1000),
        flood_email_limit=env_int(env, "MIZAN_FLOOD_EMAIL_LIMIT", 1, 0, 1_000_000),
        flood_email_window=env_int(env, "MIZAN_FLOOD_EMAIL_WINDOW", 15, 1, 86_400),
        flood_ip_limit=env_int(env, "MIZAN_FLOOD_IP_LIMIT", 10, 0, 1_000_000),
        flood_ip_window=env_int(env, "MIZAN_FLOOD_IP_WINDOW", 60, 1, 86_400),
        flood_hold_email_limit=env_int(env, "MIZAN_FLOOD_HOLD_EMAIL_LIMIT", 5, 0, 1_000_000),
        flood_hold_ip_limit=env_int(env, "MIZAN_FLOOD_HOLD_IP_LIMIT", 30, 0, 1_000_000),
        flood_hold_window=env_int(env, "MIZAN_FLOOD_HOLD_WINDOW", 600, 1, 7 * 86_400),
        duplicate_window=env_int(env, "MIZAN_DUPLICATE_WINDOW", 86_400, 0, 30 * 86_400),
        trusted_min_approved=env_int(env, "MIZAN_TRUSTED_MIN_APPROVED", 3, 0, 10_000),
        policy_cache_seconds=_float(env, "MIZAN_POLICY_CACHE_SECONDS", 5.0, 0.0, 3600.0),
        score_batch=env_int(env, "MIZAN_SCORE_BATCH", 64, 1, 500),
    )


def _private_dir(data_dir: Path) -> None:
    """The data directory, created or narrowed to its owner only (0700)."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    data_dir.chmod(0o700)


def _embedded_secret(data_dir: Path) -> str:
    """Generate the secret once and keep it in the data directory, readable by its owner only."""
    _private_dir(data_dir)
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


def _metrics_token(env: Mapping[str, str]) -> str:
    token = env.get("MIZAN_METRICS_TOKEN", "").strip()
    if token and len(token) < 24:
        raise ConfigError("MIZAN_METRICS_TOKEN must be at least 24 characters")
    return token


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read, validate and resolve the settings for this process."""
    return Settings.from_env(env).resolved()
