"""Rules applied at intake, before a comment is stored: closed posts, flood and repeats.

* Comments closed on the post: Forbidden (403).
* Flood: more than MIZAN_FLOOD_EMAIL_LIMIT comments from one mailbox (`flood_mailbox`: "+tag"
  and Gmail's dots do not make a new sender) within
  MIZAN_FLOOD_EMAIL_WINDOW seconds, or more than MIZAN_FLOOD_IP_LIMIT from one IP within
  MIZAN_FLOOD_IP_WINDOW, is refused with TooManyRequests (429 + Retry-After). The defaults
  (one comment per email per 15 s, as WordPress does; ten per IP per minute, because mobile
  carriers put many readers behind one address) are counted in Redis with fixed windows that
  start at the first comment.
* The same author posting the same normalised text twice on one post within
  MIZAN_DUPLICATE_WINDOW: Conflict (409).

Redis keys carry keyed hashes only (Keys.lookup_hash), never an email or an IP. When Redis does
not answer, the flood and repeat checks fail open (the comment is accepted, a warning without
personal data is logged, and Redis is not asked again for a few seconds); the worker's rules
still run. The post settings are read from the database through a short per-process cache.

Also here: the signed first-party browser token behind the trusted-author rule.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from mizan.models.normalize import normalize
from mizan.service.config import Settings
from mizan.service.crypto import Keys, token_urlsafe
from mizan.service.errors import Conflict, Forbidden, TooManyRequests
from mizan.service.policy import PolicyRepository, PostPolicy
from mizan.service.queue import redis_url_for_client

log = logging.getLogger("mizan.intake")

BROWSER_COOKIE = "mizan_bt"
BROWSER_COOKIE_MAX_AGE = 2 * 365 * 86_400
REDIS_RETRY_SECONDS = 5.0
MSG_CLOSED = "Comments are closed on this article."
MSG_FLOOD = "You are posting too quickly; wait a moment and try again."
MSG_REPEAT = "You have already posted this comment on this article."
_WORD = re.compile(r"[^\W_]+")


def new_browser_token(keys: Keys) -> str:
    """A random browser id with a keyed signature: `<id>.<sig>`."""
    raw = token_urlsafe(18)
    return f"{raw}.{keys.lookup_hash('browser-token-sig', raw)[:32]}"  # type: ignore[index]


def verify_browser_token(keys: Keys, token: str | None) -> str | None:
    """The token when its signature is ours, else None."""
    if not token or len(token) > 100 or token.count(".") != 1:
        return None
    raw, sig = token.split(".")
    expected = keys.lookup_hash("browser-token-sig", raw)[:32]  # type: ignore[index]
    return token if raw and secrets.compare_digest(expected, sig) else None


# Providers that ignore dots in the local part (and deliver googlemail.com to gmail.com).
_DOTLESS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def flood_mailbox(email: str) -> str:
    """The mailbox an address delivers to, for the per-email flood counter only.

    "a.b+x@GMail.com" and "ab@gmail.com" count as one sender. A "+tag" is dropped at every
    provider: merging two real mailboxes here only shares a 15-second counter. Never stored:
    comments keep the address as typed (encrypted) and its plain lookup hash.
    """
    local, at, domain = email.strip().lower().rpartition("@")
    if not at:
        return email.strip().lower()
    domain = domain.rstrip(".")
    local = local.split("+", 1)[0] or local
    if domain in _DOTLESS:
        domain = _DOTLESS[domain]
        local = local.replace(".", "") or local
    return f"{local}@{domain}"


@dataclass
class IntakeCheck:
    """Extra columns to store with the comment, and how to undo the Redis marks if storing fails."""

    columns: dict = field(default_factory=dict)
    undo: Callable[[], None] = lambda: None


class IntakeRules:
    """The intake-time rules over the policy repository and the broker's Redis."""

    def __init__(
        self, settings: Settings, keys: Keys, repo: PolicyRepository, redis_client=None
    ) -> None:
        self.settings = settings
        self.keys = keys
        self.repo = repo
        self.redis = redis_client
        self._posts: dict[str, tuple[float, PostPolicy]] = {}
        self._lock = threading.Lock()
        self._redis_down_until = 0.0

    @classmethod
    def for_service(cls, service) -> IntakeRules:
        """Build from a Service: its settings, keys, engine, and its broker when that is Redis.

        The flood and repeat checks use the Redis the service queues to (a RedisSender); with
        any other sender (another broker, or a test double) they are off.
        """
        from mizan.service.queue import RedisSender

        settings = service.settings
        client = None
        # The real sender (possibly wrapped by BatchingSender) talks to Redis; a test double
        # does not, and then the Redis-backed rules stay off.
        if isinstance(getattr(service.sender, "inner", service.sender), RedisSender):
            import redis

            client = redis.Redis.from_url(
                redis_url_for_client(settings.broker_url),
                socket_connect_timeout=0.5,
                socket_timeout=0.5,
            )
        return cls(settings, service.keys, PolicyRepository(service.repo.engine), client)

    # --- post settings ----------------------------------------------------------------------
    def post_policy(self, post_id: str) -> PostPolicy:
        ttl = self.settings.policy_cache_seconds
        now = time.monotonic()
        with self._lock:
            hit = self._posts.get(post_id)
            if hit and now - hit[0] < ttl:
                return hit[1]
        value = self.repo.post_policies([post_id])[post_id]
        with self._lock:
            if len(self._posts) > 10_000:
                self._posts.clear()
            self._posts[post_id] = (now, value)
        return value

    # --- the check --------------------------------------------------------------------------
    def check(self, data: dict, meta) -> IntakeCheck:
        """Raise Forbidden, TooManyRequests or Conflict, or return the extra columns to store."""
        if self.post_policy(data["post_id"]).comments_closed:
            raise Forbidden(MSG_CLOSED)
        result = IntakeCheck()
        token = verify_browser_token(self.keys, data.get("browser_token"))
        if token:
            result.columns["browser_token_hash"] = self.keys.lookup_hash("browser", token)
        if self.redis is not None and time.monotonic() >= self._redis_down_until:
            try:
                result.undo = self._redis_checks(data, meta)
            except (TooManyRequests, Conflict):
                raise
            except Exception as exc:  # noqa: BLE001 - fail open; the worker's rules still run
                self._redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
                log.warning(
                    "flood and repeat checks skipped: Redis unavailable (%s)", type(exc).__name__
                )
        return result

    def _redis_checks(self, data: dict, meta) -> Callable[[], None]:
        s = self.settings
        email_hash = self.keys.lookup_hash("email", data["author_email"].strip())
        ip_hash = self.keys.lookup_hash("ip", meta.ip) if meta.ip else None
        counters: list[tuple[str, int, int]] = []
        if s.flood_email_limit:
            mailbox = self.keys.lookup_hash("mailbox", flood_mailbox(data["author_email"]))
            counters.append((f"mizan:flood:e:{mailbox}", s.flood_email_limit, s.flood_email_window))
        if s.flood_ip_limit and ip_hash:
            counters.append((f"mizan:flood:i:{ip_hash}", s.flood_ip_limit, s.flood_ip_window))
        repeat_key = None
        if s.duplicate_window:
            words = " ".join(_WORD.findall(normalize(data["body"])))  # punctuation aside
            text = hashlib.blake2b(words.encode(), digest_size=12).hexdigest()
            post = hashlib.blake2b(data["post_id"].encode(), digest_size=8).hexdigest()
            repeat_key = f"mizan:repeat:{email_hash}:{post}:{text}"
        if not counters and repeat_key is None:
            return lambda: None
        pipe = self.redis.pipeline(transaction=False)
        for key, _limit, window in counters:
            # Create the window with its expiry first (EXPIRE NX would need Redis 7; the
            # embedded default ships 6.2), then count; INCR keeps the TTL.
            pipe.set(key, 0, nx=True, ex=window)
            pipe.incr(key)
            pipe.ttl(key)
        if repeat_key:
            pipe.set(repeat_key, b"1", nx=True, ex=s.duplicate_window)
        replies = pipe.execute()
        for n, (_key, limit, window) in enumerate(counters):
            count, ttl = replies[3 * n + 1], replies[3 * n + 2]
            if count > limit:
                if repeat_key and replies[-1]:  # refused, so not "already posted" on a retry
                    self.redis.delete(repeat_key)
                retry = ttl if isinstance(ttl, int) and ttl > 0 else window
                raise TooManyRequests(MSG_FLOOD, retry_after=int(retry))
        if repeat_key and not replies[-1]:
            raise Conflict(MSG_REPEAT)

        def undo() -> None:
            try:
                pipe = self.redis.pipeline(transaction=False)
                for key, _limit, _window in counters:
                    pipe.decr(key)
                if repeat_key:
                    pipe.delete(repeat_key)
                pipe.execute()
            except Exception as exc:  # noqa: BLE001 - best effort
                log.warning("could not release intake marks: %s", type(exc).__name__)

        return undo
