"""Bans, per-post settings and word lists."""

from __future__ import annotations

import ipaddress
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
