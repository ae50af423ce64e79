"""Authors: banned emails, IPs and networks are spam; trusted authors skip the soft rules."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from mizan.service.policy.rules import Finding


@dataclass(frozen=True, slots=True)
class BanList:
    emails: dict[str, int]
    ips: dict[str, int]
    networks: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, int], ...]

    @classmethod
    def build(cls, bans: Iterable) -> BanList:
        emails: dict[str, int] = {}
        ips: dict[str, int] = {}
        nets = []
        for b in bans:
            if b.kind == "email" and b.value_hash:
                emails[b.value_hash] = b.id
            elif b.kind == "ip" and b.value_hash:
                ips[b.value_hash] = b.id
            elif b.kind == "network" and b.network:
                nets.append((ipaddress.ip_network(b.network, strict=False), b.id))
        return cls(emails, ips, tuple(nets))

    def check(self, email_hash: str | None, ip_hash: str | None, ip: str | None) -> list[Finding]:
        """Spam when the author's email, IP or network is banned.

        The reason names the kind of ban and its id only: never the address or its hash.
        """
        if email_hash and email_hash in self.emails:
            return [
                Finding(
                    "spam",
                    {"code": "banned_author", "by": "email", "ban_id": self.emails[email_hash]},
                )
            ]
        if ip_hash and ip_hash in self.ips:
            return [
                Finding("spam", {"code": "banned_author", "by": "ip", "ban_id": self.ips[ip_hash]})
            ]
        if ip and self.networks:
            try:
                addr = ipaddress.ip_address(ip)
            except ValueError:
                return []
            for net, ban_id in self.networks:
                if addr.version == net.version and addr in net:
                    return [
                        Finding(
                            "spam", {"code": "banned_author", "by": "network", "ban_id": ban_id}
                        )
                    ]
        return []


def is_trusted(approved: int, minimum: int) -> bool:
    """Trusted: enough approved comments under the same email AND the same browser token."""
    return minimum > 0 and approved >= minimum
