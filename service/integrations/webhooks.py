"""Signed webhooks: comment events sent to the endpoints admins register.

Events (from the decisions every status change writes, read only after they commit):

* ``comment.published``: a comment became public (approved by the policy or a moderator);
* ``comment.held``: it waits for a moderator;
* ``comment.removed``: it was public (approved, or reported) and is now rejected or spam;
* ``comment.reported``: readers' reports took it off the public list for review;
* ``queue.backlog``: the oldest held comment has just become older than
  ``MIZAN_QUEUE_ALERT_MINUTES`` (sent once; again only after the queue has recovered, its oldest
  held comment no older than that, and crossed again). Its body is
  ``{"id", "event", "occurred_at", "queue": {"held", "oldest_age_seconds", "alert_minutes"}}``:
  counts only, nothing of any comment. Endpoints receive it only when they ask for it.

A comment event's body is JSON: ``{"id", "event", "occurred_at", "comment": {...}}`` with the
comment's public fields only (``id``, ``post_id``, ``parent_id``, ``status``, ``permalink``,
``created_at``, and for ``comment.published`` also ``author_name``, ``author_url`` and
``body``, exactly what the public API shows). Never an email, an IP, a user agent or a score.

Each request carries ``X-Mizan-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
"<t>.<body>" keyed with the endpoint's secret>``, plus ``X-Mizan-Event`` and
``X-Mizan-Delivery`` (the same on every retry of one delivery, for de-duplication). A receiver
recomputes the HMAC over the raw body, compares in constant time and refuses old timestamps.

Delivery: a Celery task after the decision commits; any 2xx is success; anything else, a
redirect (never followed), a timeout or a connection error is a failure, retried (by the
periodic dispatch, which sends deliveries whose time has come) after
``MIZAN_WEBHOOK_RETRY_BASE`` seconds doubled each time (at most half an hour) with full jitter, up
to ``MIZAN_WEBHOOK_MAX_ATTEMPTS`` attempts. ``MIZAN_WEBHOOK_DISABLE_AFTER`` consecutive failed
attempts disable the endpoint (a success resets the count); re-enabling it sends what waited.

Targets: unless ``MIZAN_WEBHOOK_ALLOW_PRIVATE`` is on, an endpoint must be a public address.
Adding one whose host is a loopback, private, link-local or otherwise non-public IP literal (or
``localhost``) is refused; at each attempt the host name is resolved, the attempt fails
(``blocked address``) when any address it resolves to is not public, and the connection goes to
the addresses that were checked (a name that resolves differently a moment later cannot redirect
it).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import random
import secrets
import socket
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from mizan.service.config import Settings
from mizan.service.crypto import Keys
from mizan.service.db import aware, utcnow
from mizan.service.errors import NotFound, ValidationFailed
from mizan.service.integrations.repository import (
    BacklogCrossing,
    DecisionEvent,
    IntegrationRepository,
)
from mizan.service.tables import WEBHOOK_READER_FIELDS, WebhookEndpoint

log = logging.getLogger("mizan.webhooks")

COMMENT_EVENTS = ("comment.published", "comment.held", "comment.removed", "comment.reported")
BACKLOG_EVENT = "queue.backlog"
EVENTS = (*COMMENT_EVENTS, BACKLOG_EVENT)
SIGNATURE_HEADER = "X-Mizan-Signature"
USER_AGENT = "Mizan-Webhooks/1"
DISPATCH_TASK = "mizan.webhooks.dispatch"
DELIVER_TASK = "mizan.webhooks.deliver"
WEBHOOK_QUEUE = "mizan.webhooks"
MAX_BACKOFF = 1800.0  # below the broker visibility timeout (an hour)
# On PostgreSQL a decision may commit a moment after a younger id: read it after this lag.
DISPATCH_LAG = timedelta(seconds=2)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for this body at this time."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """What a receiver does: True when the header signs this body within `tolerance` seconds."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        ts = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - ts) > tolerance:
        return False
    expected = sign(secret, ts, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def backoff(attempt: int, base: float) -> float:
    """Seconds before retry number `attempt` (1-based): full jitter on a doubling delay."""
    ceiling = min(MAX_BACKOFF, base * (2 ** (attempt - 1)))
    return random.uniform(base / 2, max(base / 2, ceiling))  # noqa: S311 - jitter, not a secret


def status_of(e: DecisionEvent) -> str:
    """The status the decision gave the comment (shadow mode records another outcome)."""
    if e.applied:
        return e.outcome
    for r in e.reasons or []:
        if isinstance(r, dict) and r.get("code") == "shadow_mode":
            return str(r.get("status"))
    return e.outcome


def event_of(e: DecisionEvent) -> str | None:
    """Which webhook event a status change is, if any."""
    to, frm = status_of(e), e.from_status
    if to == frm:
        return None
    if to == "approved":
        return "comment.published"
    if to == "held":
        return "comment.held"
    if to == "reported":
        return "comment.reported"
    if to in ("rejected", "spam") and frm in ("approved", "reported"):
        return "comment.removed"
    return None


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def payload(e: DecisionEvent, event: str, delivery_key: str) -> dict[str, Any]:
    """The JSON body: public fields only."""
    comment: dict[str, Any] = {
        "id": e.comment_id,
        "post_id": e.post_id,
        "parent_id": e.parent_id,
        "status": status_of(e),
        "permalink": e.permalink,
        "created_at": _iso(e.comment_created_at),
    }
    if event == "comment.published":
        words = (e.author_name, e.author_url, e.body)
        comment.update(zip(WEBHOOK_READER_FIELDS, words, strict=True))
    return {
        "id": delivery_key,
        "event": event,
        "occurred_at": _iso(e.created_at),
        "comment": comment,
    }


def backlog_payload(c: BacklogCrossing, alert_minutes: int, delivery_key: str) -> dict[str, Any]:
    """The queue.backlog body: counts and ages only, nothing of any comment."""
    return {
        "id": delivery_key,
        "event": BACKLOG_EVENT,
        "occurred_at": _iso(c.occurred_at),
        "queue": {
            "held": c.held,
            "oldest_age_seconds": c.oldest_age_seconds,
            "alert_minutes": alert_minutes,
        },
    }


# IPv6 ranges that carry an IPv4 address a gateway may forward to (NAT64, its local-use
# prefix, IPv4-compatible and IPv4-translated forms): judged by that IPv4 address.
_EMBEDDED_V4 = tuple(
    ipaddress.ip_network(n) for n in ("64:ff9b::/96", "64:ff9b:1::/48", "::/96", "::ffff:0:0:0/96")
)


def public_address(address: str) -> bool:
    """True for a globally routable IP address (not loopback, private, link-local, CGNAT,
    multicast, reserved or unspecified). An IPv6 address that carries an IPv4 one (mapped,
    6to4, NAT64, compatible or translated) is judged by the IPv4 address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
        elif any(ip in net for net in _EMBEDDED_V4) and int(ip) > 1:  # not "::" or "::1"
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.is_global and not ip.is_multicast


def _local_host(host: str) -> bool:
    """A host that is non-public without asking DNS: an IP literal (also the short, decimal,
    octal and hex IPv4 forms a resolver accepts: "127.1", "2130706433", "0x7f.1") or localhost."""
    host = host.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        try:
            host = socket.inet_ntoa(socket.inet_aton(host))
        except (OSError, ValueError):
            return False
    return not public_address(host)


def check_url(url: str, allow_private: bool = False) -> str:
    """An endpoint URL: http(s), a host, no credentials, at most 2000 characters; unless
    ``allow_private``, not a loopback, private or other non-public IP literal or localhost."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a malformed port
    except ValueError:
        parts, port = None, None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.password is not None
        or len(url) > 2000
        # Printable ASCII only (no spaces or controls): what an HTTP request line can carry.
        or not all("!" <= c <= "~" for c in url)
    ):
        raise ValidationFailed(
            "The webhook could not be added: see the fields.",
            fields={
                "url": [
                    "An http:// or https:// URL with a host and no credentials "
                    "(ASCII: percent-encode the rest)."
                ]
            },
        )
    del port
    if not allow_private and _local_host(parts.hostname or ""):
        raise ValidationFailed(
            "The webhook could not be added: see the fields.",
            fields={
                "url": [
                    "A loopback, private or link-local address is not allowed "
                    "(MIZAN_WEBHOOK_ALLOW_PRIVATE=true allows endpoints on your own network)."
                ]
            },
        )
    return url


def check_events(events: Sequence[str]) -> list[str]:
    chosen = list(dict.fromkeys(e.strip() for e in events if e and e.strip()))
    bad = [e for e in chosen if e not in EVENTS]
    if not chosen or bad:
        raise ValidationFailed(
            "The webhook could not be added: see the fields.",
            fields={"events": [f"One or more of: {', '.join(EVENTS)}."]},
        )
    return chosen


def endpoint_dict(e: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": e.id,
        "url": e.url,
        "events": list(e.events or []),
        "enabled": bool(e.enabled),
        "consecutive_failures": e.consecutive_failures,
        "disabled_at": aware(e.disabled_at),
        "disabled_reason": e.disabled_reason,
        "last_success_at": aware(e.last_success_at),
        "last_failure_at": aware(e.last_failure_at),
        "last_error": e.last_error,
        "created_at": aware(e.created_at),
    }


class Webhooks:
    """Endpoints, dispatch and delivery over the integrations repository."""

    def __init__(self, settings: Settings, repo: IntegrationRepository, keys: Keys) -> None:
        self.settings = settings
        self.conf = settings.integrations
        self.repo = repo
        self.keys = keys

    # --- endpoints ------------------------------------------------------------------------------
    def add(self, url: str, events: Sequence[str], created_by: str | None) -> tuple[str, int]:
        """Register an endpoint; returns its signing secret (shown once) and its id."""
        url, chosen = check_url(url, self.conf.webhook_allow_private), check_events(events)
        secret = "whsec_" + secrets.token_urlsafe(32)
        enc = self.keys.encrypt(secret)
        assert enc is not None
        return secret, self.repo.create_endpoint(url, chosen, enc, created_by)

    def endpoints(self) -> list[dict[str, Any]]:
        return [endpoint_dict(e) for e in self.repo.endpoints()]

    def get(self, endpoint_id: int) -> dict[str, Any]:
        e = self.repo.endpoint(endpoint_id)
        if e is None:
            raise NotFound("Not found.")
        out = endpoint_dict(e)
        out["deliveries"] = [
            {
                "id": d.id,
                "event": d.event,
                "comment_id": d.comment_id,  # None for queue.backlog
                "status": d.status,
                "attempts": d.attempts,
                "last_status_code": d.last_status_code,
                "last_error": d.last_error,
                "created_at": aware(d.created_at),
                "next_attempt_at": aware(d.next_attempt_at),
                "delivered_at": aware(d.delivered_at),
            }
            for d in self.repo.deliveries(endpoint_id)
        ]
        return out

    def set_enabled(self, endpoint_id: int, enabled: bool) -> None:
        """Enable (its waiting deliveries are due at once) or disable an endpoint."""
        reason = None if enabled else "disabled by an admin"
        if not self.repo.set_enabled(endpoint_id, enabled, reason):
            raise NotFound("Not found.")

    def remove(self, endpoint_id: int) -> None:
        if not self.repo.delete_endpoint(endpoint_id):
            raise NotFound("Not found.")

    # --- dispatch -------------------------------------------------------------------------------
    def dispatch(self, limit: int = 500) -> tuple[list[int], bool]:
        """Turn committed decisions into deliveries; returns their ids and whether more wait."""

        def build(events: Sequence[DecisionEvent], endpoints: list[WebhookEndpoint]) -> list[dict]:
            rows = []
            for e in events:
                name = event_of(e)
                if name is None:
                    continue
                for ep in endpoints:
                    if name not in (ep.events or []):
                        continue
                    key = f"{ep.id}-{e.decision_id}"
                    body = json.dumps(
                        payload(e, name, key), ensure_ascii=False, separators=(",", ":")
                    )
                    rows.append(
                        {
                            "endpoint_id": ep.id,
                            "decision_id": e.decision_id,
                            "event": name,
                            "comment_id": e.comment_id,
                            "payload": body,
                        }
                    )
            return rows

        return self.repo.dispatch(limit, DISPATCH_LAG, build)

    def check_backlog(self) -> list[int]:
        """Send queue.backlog when the held queue has just crossed MIZAN_QUEUE_ALERT_MINUTES
        (0: never); returns the new delivery ids."""
        minutes = self.settings.desk.queue_alert_minutes

        def build(c: BacklogCrossing, endpoints: list[WebhookEndpoint]) -> list[dict]:
            rows = []
            for ep in endpoints:
                if BACKLOG_EVENT not in (ep.events or []):
                    continue
                key = f"{ep.id}-backlog-{c.crossing}"
                body = json.dumps(
                    backlog_payload(c, minutes, key), ensure_ascii=False, separators=(",", ":")
                )
                rows.append({"endpoint_id": ep.id, "event": BACKLOG_EVENT, "payload": body})
            return rows

        return self.repo.check_backlog(timedelta(minutes=minutes) if minutes else None, build)

    def due(self) -> list[int]:
        """Deliveries due for an attempt now (new ones and retries), each leased to one task."""
        now = utcnow()
        lease = timedelta(seconds=max(60.0, self.conf.webhook_timeout * 4))
        return self.repo.claim_due(now, now + lease)

    # --- delivery -------------------------------------------------------------------------------
    def deliver(self, delivery_id: int) -> float | None:
        """Make one attempt; returns seconds until the next one is due, or None when done.

        The retry is not a delayed task (a worker would hold it unacknowledged for up to half an
        hour): its time is stored, and the periodic dispatch sends it when due."""
        found = self.repo.delivery(delivery_id)
        if found is None:
            return None
        d, ep = found
        if d.status != "pending" or not ep.enabled:
            return None
        secret = self.keys.decrypt(ep.secret_enc) or ""
        ok, code, error = send(
            ep.url,
            d.payload.encode(),
            secret,
            d.event,
            d.id,
            self.conf.webhook_timeout,
            allow_private=self.conf.webhook_allow_private,
        )
        last = d.attempts + 1 >= self.conf.webhook_max_attempts
        delay = None if ok or last else backoff(d.attempts + 1, self.conf.webhook_retry_base)
        result = self.repo.record_attempt(
            d.id,
            ok=ok,
            status_code=code,
            error=error,
            retry_at=None if delay is None else utcnow() + timedelta(seconds=delay),
            disable_after=self.conf.webhook_disable_after,
        )
        if result.endpoint_disabled:
            log.warning("webhook endpoint #%d disabled after repeated failures", ep.id)
        if result.status != "pending" or result.endpoint_disabled:
            return None
        return delay


class BlockedAddress(OSError):
    """The endpoint's host resolves to an address that is not public."""


def resolve_public(host: str, port: int) -> list[tuple[str, int]]:
    """The addresses of ``host`` to connect to, in the resolver's order; BlockedAddress when
    any is not public (a name with one public and one private address is refused: which one a
    client ends up on is not ours to choose)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [(str(info[4][0]), int(info[4][1])) for info in infos]
    if not addresses or not all(public_address(a) for a, _port in addresses):
        raise BlockedAddress(host)
    return list(dict.fromkeys(addresses))


def _connect_first(
    addresses: list[tuple[str, int]], timeout: float, source_address: Any = None
) -> socket.socket:
    """A connection to the first of ``addresses`` that answers (as create_connection does for
    a name: a dual-stack host whose IPv6 address is unreachable is reached over IPv4)."""
    error: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection(address, timeout, source_address)
        except OSError as exc:
            error = exc
    assert error is not None, "resolve_public never returns an empty list"
    raise error


def send(
    url: str,
    body: bytes,
    secret: str,
    event: str,
    delivery_id: int,
    timeout: float,
    allow_private: bool = False,
) -> tuple[bool, int | None, str | None]:
    """POST once, never following a redirect: (success, status code, error)."""
    parts = urlsplit(url)
    https = parts.scheme == "https"
    conn_cls = http.client.HTTPSConnection if https else http.client.HTTPConnection
    host, port = parts.hostname or "", parts.port or (443 if https else 80)
    pinned: list[tuple[str, int]] | None = None
    if not allow_private:
        try:
            pinned = resolve_public(host, port)
        except BlockedAddress:
            return False, None, "blocked address: not a public address"
        except (OSError, UnicodeError) as exc:
            return False, None, f"{type(exc).__name__}"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: sign(secret, int(time.time()), body),
        "X-Mizan-Event": event,
        "X-Mizan-Delivery": str(delivery_id),
    }
    conn = conn_cls(host, port, timeout=timeout)
    if pinned is not None:
        # Connect to the addresses that were checked; TLS still verifies the host name.
        addresses = pinned

        def connect_pinned(
            _addr: object, timeout: float = timeout, source_address: Any = None
        ) -> socket.socket:
            return _connect_first(addresses, timeout, source_address)

        conn._create_connection = connect_pinned  # type: ignore[attr-defined]
    try:
        conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()
        resp.read(64 * 1024)
        if 200 <= resp.status < 300:
            return True, resp.status, None
        if 300 <= resp.status < 400:
            return False, resp.status, f"HTTP {resp.status}: redirects are not followed"
        return False, resp.status, f"HTTP {resp.status}"
    except TimeoutError:
        return False, None, "timed out"
    except (OSError, ValueError, http.client.HTTPException) as exc:
        return False, None, f"{type(exc).__name__}"
    finally:
        conn.close()
