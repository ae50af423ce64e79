"""Links: too many of them holds a comment; any link to a blocked domain is spam."""

from __future__ import annotations

from collections.abc import Collection

from mizan.models.normalize import extract_entities
from mizan.service.policy.rules import Finding


def link_domains(urls: list[str]) -> list[str]:
    out: list[str] = []
    for url in urls:
        for d in extract_entities(url if "://" in url else "http://" + url).domains:
            if d not in out:
                out.append(d)
    return out


def _blocked(domain: str, blocked: Collection[str]) -> str | None:
    for b in blocked:
        if domain == b or domain.endswith("." + b):
            return b
    return None


def check_links(
    body: str, author_url: str | None, max_links: int, blocked: Collection[str]
) -> list[Finding]:
    """Count the links (the author URL included) and look for blocked domains."""
    urls = list(extract_entities(body).urls)
    if author_url:
        urls.append(author_url)
    findings: list[Finding] = []
    if len(urls) > max_links:
        findings.append(
            Finding("held", {"code": "too_many_links", "count": len(urls), "limit": max_links})
        )
    if blocked and urls:
        for domain in link_domains(urls):
            hit = _blocked(domain, blocked)
            if hit:
                findings.append(Finding("spam", {"code": "blocked_domain", "domain": hit}))
    return findings
