"""The soft flood limit: more comments than allowed from one email or IP in a window holds."""

from __future__ import annotations

from mizan.service.policy.rules import Finding


def check_flood(
    email_count: int, ip_count: int, *, email_limit: int, ip_limit: int, window: int
) -> list[Finding]:
    """Hold when an author's recent comments exceed a soft limit (0 disables a limit)."""
    out = []
    if email_limit and email_count > email_limit:
        out.append(
            Finding(
                "held",
                {
                    "code": "flood",
                    "by": "email",
                    "count": email_count,
                    "limit": email_limit,
                    "window": window,
                },
            )
        )
    if ip_limit and ip_count > ip_limit:
        out.append(
            Finding(
                "held",
                {
                    "code": "flood",
                    "by": "ip",
                    "count": ip_count,
                    "limit": ip_limit,
                    "window": window,
                },
            )
        )
    return out
