"""Bans, per-post settings and word lists."""

from __future__ import annotations

import ipaddress
import re
from datetime import timedelta
from typing import Any

from mizan.service.db import utcnow
from mizan.service.desk.common import (
    MSG_FIELDS,
    Actor,
    DeskBase,
    _fold,
    _iso,
)
from mizan.service.errors import (
    Conflict,
    NotFound,
    ValidationFailed,
)
from mizan.service.policy import BAN_KINDS, WORD_LISTS

# A host name as the links rule compares it: lower-case labels, a dot-separated name with a
# letter first in the last label (the OpenAPI pattern of DomainIn says the same).
DOMAIN_PATTERN = r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$"
_DOMAIN = re.compile(DOMAIN_PATTERN)
DOMAIN_HIT_DAYS = 30


def clean_domain(value: str) -> str | None:
    """A pasted URL or host name as the bare, lower-case domain the rule matches, or None."""
    v = (value or "").strip().lower()
    v = re.sub(r"^[a-z][a-z0-9+.-]*://", "", v)
    v = v.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].rsplit("@", 1)[-1]
    v = v.split(":", 1)[0].strip(".")
    if v.startswith("www."):
        v = v[4:]
    try:
        v = v.encode("idna").decode("ascii") if not v.isascii() else v
    except UnicodeError:
        return None
    if not v or len(v) > 253 or not _DOMAIN.match(v):
        return None
    return v


class Lists(DeskBase):
    """Bans, per-post settings and word lists."""

    # --- bans, posts, word lists -----------------------------------------------------------------
    def ban(
        self,
        actor: Actor,
        kind: str,
        *,
        comment_id: str | None = None,
        value: str | None = None,
        days: int | None = None,
        note: str | None = None,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        """Ban an author's email, IP or network (from a comment or a given value), with expiry."""
        if kind not in BAN_KINDS:
            raise ValidationFailed(
                MSG_FIELDS, fields={"kind": [f"Must be one of: {', '.join(BAN_KINDS)}."]}
            )
        if (comment_id is None) == (value is None):
            raise ValidationFailed(
                MSG_FIELDS, fields={"comment_id": ["Give either comment_id or value."]}
            )
        value_hash = network = None
        comment = None
        if comment_id is not None:
            comment = self.repo.comment(comment_id)
            if comment is None:
                raise NotFound("Not found.")
            if kind == "email":
                value_hash = comment.author_email_hash
            else:
                ip = self.keys.decrypt(comment.ip_enc)
                if ip is None:
                    raise Conflict("This comment's address is no longer stored.")
                if kind == "ip":
                    value_hash = comment.ip_hash
                else:
                    addr = ipaddress.ip_address(ip)
                    network = str(
                        ipaddress.ip_network(
                            f"{ip}/{24 if addr.version == 4 else 64}", strict=False
                        )
                    )
        else:
            value = value.strip()  # type: ignore[union-attr]
            try:
                if kind == "email":
                    if "@" not in value or len(value) > 254:
                        raise ValueError
                    value_hash = self.keys.lookup_hash("email", value)
                elif kind == "ip":
                    value_hash = self.keys.lookup_hash("ip", str(ipaddress.ip_address(value)))
                else:
                    net = ipaddress.ip_network(value, strict=False)
                    if net.prefixlen < (8 if net.version == 4 else 32):
                        raise ValueError
                    network = str(net)
            except ValueError:
                raise ValidationFailed(
                    MSG_FIELDS, fields={"value": [f"Not a valid {kind} for a ban."]}
                ) from None
        expires = utcnow() + timedelta(days=days) if days else None
        ban_id = self.repo.add_ban(
            {
                "kind": kind,
                "value_hash": value_hash,
                "network": network,
                "note": (note or None) and note[:500],
                "created_by": actor.email[:100],
                "expires_at": expires,
            },
            {
                "actor_id": actor.id,
                "actor": actor.email,
                "action": "ban",
                "comment_id": comment_id,
                "from_status": comment.status if comment else None,
                "to_status": comment.status if comment else None,
                "reason": kind,
                "detail": {"kind": kind, "expires_at": _iso(expires), "network": network},
                "request_id": request_id,
            },
        )
        return {
            "id": ban_id,
            "kind": kind,
            "network": network,
            "expires_at": _iso(expires),
            "comment_id": comment_id,
        }

    def bans(self) -> list[dict[str, Any]]:
        return [
            {
                "id": b.id,
                "kind": b.kind,
                "network": b.network,
                "note": b.note,
                "created_by": b.created_by,
                "created_at": _iso(b.created_at),
                "expires_at": _iso(b.expires_at),
            }
            for b in self.repo.bans()
        ]

    def lift_ban(self, actor: Actor, ban_id: int, request_id: str | None = None) -> None:
        ok = self.repo.lift_ban(
            ban_id,
            {
                "actor_id": actor.id,
                "actor": actor.email,
                "action": "unban",
                "comment_id": None,
                "from_status": None,
                "to_status": None,
                "reason": None,
                "detail": {"ban_id": ban_id},
                "request_id": request_id,
            },
        )
        if not ok:
            raise NotFound("Not found.")

    def post_settings(self, post_id: str) -> dict[str, Any]:
        row = self.repo.post_setting(post_id)
        return {
            "post_id": post_id,
            "comments_closed": bool(row.comments_closed) if row else False,
            "premoderation": bool(row.premoderation) if row else False,
        }

    def set_post(
        self,
        actor: Actor,
        post_id: str,
        *,
        comments_closed: bool | None = None,
        premoderation: bool | None = None,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        """Close comments or switch pre-moderation on one post."""
        values = {
            k: v
            for k, v in (("comments_closed", comments_closed), ("premoderation", premoderation))
            if v is not None
        }
        if not values:
            raise ValidationFailed(
                MSG_FIELDS, fields={"_schema": ["Give comments_closed or premoderation."]}
            )
        self.repo.save_post_setting(
            post_id,
            values,
            actor.email,
            {
                "actor_id": actor.id,
                "actor": actor.email,
                "action": "post_settings",
                "comment_id": None,
                "from_status": None,
                "to_status": None,
                "reason": None,
                "detail": {},
                "request_id": request_id,
            },
        )
        return self.post_settings(post_id)

    def word_terms(self) -> list[dict[str, Any]]:
        return [
            {
                "id": t.id,
                "term": t.term,
                "list": t.list,
                "action": t.action,
                "created_by": t.created_by,
                "created_at": _iso(t.created_at),
            }
            for t in self.repo.word_terms()
        ]

    def add_term(
        self,
        actor: Actor,
        term: str,
        list_name: str,
        action: str | None = None,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        term = (term or "").strip()
        if list_name not in WORD_LISTS:
            raise ValidationFailed(MSG_FIELDS, fields={"list": ["Must be blocked or watched."]})
        action = action or WORD_LISTS[list_name][0]
        if action not in WORD_LISTS[list_name]:
            raise ValidationFailed(
                MSG_FIELDS,
                fields={"action": [f"Must be one of: {', '.join(WORD_LISTS[list_name])}."]},
            )
        folded = _fold(term).strip()
        if not term or not folded or len(term) > 200:
            raise ValidationFailed(
                MSG_FIELDS, fields={"term": ["Must be between 1 and 200 characters."]}
            )
        term_id = self.repo.add_word_term(
            {
                "term": term,
                "folded": folded[:200],
                "list": list_name,
                "action": action,
                "created_by": actor.email[:100],
            },
            {
                "actor_id": actor.id,
                "actor": actor.email,
                "action": "word_add",
                "comment_id": None,
                "from_status": None,
                "to_status": None,
                "reason": list_name,
                "detail": {"term": term, "list": list_name, "action": action},
                "request_id": request_id,
            },
        )
        if term_id is None:
            raise Conflict("This term is already on the list.")
        return {"id": term_id, "term": term, "list": list_name, "action": action}

    def remove_term(self, actor: Actor, term_id: int, request_id: str | None = None) -> None:
        def audit_for(row: Any) -> dict[str, Any]:
            return {
                "actor_id": actor.id,
                "actor": actor.email,
                "action": "word_remove",
                "comment_id": None,
                "from_status": None,
                "to_status": None,
                "reason": row.list,
                "detail": {"term": row.term, "list": row.list},
                "request_id": request_id,
            }

        if not self.repo.remove_word_term(term_id, audit_for):
            raise NotFound("Not found.")

    # --- blocked domains ---------------------------------------------------------------------
    def domains(self, days: int = DOMAIN_HIT_DAYS) -> list[dict[str, Any]]:
        """Blocked domains with how many comments each sent to spam lately, and the last one."""
        hits: dict[str, list[Any]] = {}
        since = utcnow() - timedelta(days=days)
        for reasons, at in self.repo.blocked_domain_decisions(since):
            for r in reasons:
                if isinstance(r, dict) and r.get("code") == "blocked_domain":
                    h = hits.setdefault(str(r.get("domain")), [0, None])
                    h[0] += 1
                    h[1] = at if h[1] is None or at > h[1] else h[1]
        return [
            {
                "id": d.id,
                "domain": d.domain,
                "created_by": d.created_by,
                "created_at": _iso(d.created_at),
                "hits": hits.get(d.domain, [0, None])[0],
                "last_hit_at": _iso(hits.get(d.domain, [0, None])[1]),
            }
            for d in self.repo.blocked_domains()
        ]

    def add_domain(self, actor: Actor, value: str, request_id: str | None = None) -> dict[str, Any]:
        """Block a domain (and its subdomains): links to it make a comment spam."""
        domain = clean_domain(value)
        if domain is None:
            raise ValidationFailed(
                MSG_FIELDS, fields={"domain": ["Not a valid domain name (like spam.example)."]}
            )
        domain_id = self.repo.add_blocked_domain(
            domain,
            actor.email,
            {
                "actor_id": actor.id,
                "actor": actor.email,
                "action": "domain_add",
                "comment_id": None,
                "from_status": None,
                "to_status": None,
                "reason": None,
                "detail": {"domain": domain},
                "request_id": request_id,
            },
        )
        if domain_id is None:
            raise Conflict("This domain is already blocked.")
        row = next(d for d in self.domains() if d["id"] == domain_id)
        return row

    def remove_domain(self, actor: Actor, domain_id: int, request_id: str | None = None) -> None:
        def audit_for(domain: str) -> dict[str, Any]:
            return {
                "actor_id": actor.id,
                "actor": actor.email,
                "action": "domain_remove",
                "comment_id": None,
                "from_status": None,
                "to_status": None,
                "reason": None,
                "detail": {"domain": domain},
                "request_id": request_id,
            }

        if not self.repo.remove_blocked_domain(domain_id, audit_for):
            raise NotFound("Not found.")
