"""Links, the soft flood limit and banned authors."""

from types import SimpleNamespace

import pytest

from mizan.service.policy.rules.authors import BanList, is_trusted
from mizan.service.policy.rules.flood import check_flood
from mizan.service.policy.rules.links import check_links


def codes(findings):
    return [(f.outcome, f.reason["code"]) for f in findings]


def test_two_links_pass_three_hold_and_the_author_url_counts():
    two = "تفاصيل هنا https://a.example/x و https://b.example/y"
    assert check_links(two, None, 2, set()) == []
    [f] = check_links(two, "https://me.example", 2, set())
    assert f.outcome == "held" and f.reason == {"code": "too_many_links", "count": 3, "limit": 2}


def test_english_links_held_over_limit():
    body = "see www.one.com, two.net/page and http://three.org today"
    [f] = check_links(body, None, 2, set())
    assert f.reason["count"] == 3


def test_blocked_domain_is_spam_including_subdomains_and_obfuscation():
    blocked = {"1xbet.com"}
    assert codes(check_links("العب على https://promo.1xbet.com/ar", None, 5, blocked)) == [
        ("spam", "blocked_domain")
    ]
    spam = [("spam", "blocked_domain")]
    assert codes(check_links("زوروا 1xbet دوت com", None, 5, blocked)) == spam
    assert codes(check_links("مرحبا", "http://1xbet.com", 5, blocked)) == spam


def test_unblocked_domain_and_no_links_do_not_fire():
    assert check_links("اقرأ https://bbc.co.uk/arabic", None, 2, {"1xbet.com"}) == []
    assert check_links("not1xbet.com is fine", None, 2, {"1xbet.com"}) == []
    assert check_links("مقال ممتاز بدون روابط", None, 2, {"1xbet.com"}) == []


def test_soft_flood_holds_over_the_limit_only():
    assert check_flood(5, 30, email_limit=5, ip_limit=30, window=600) == []
    [f] = check_flood(6, 1, email_limit=5, ip_limit=30, window=600)
    assert f.reason == {"code": "flood", "by": "email", "count": 6, "limit": 5, "window": 600}
    assert codes(check_flood(1, 31, email_limit=5, ip_limit=30, window=600)) == [("held", "flood")]
    assert check_flood(99, 99, email_limit=0, ip_limit=0, window=600) == []


@pytest.fixture
def bans():
    return BanList.build(
        [
            SimpleNamespace(id=1, kind="email", value_hash="e" * 64, network=None),
            SimpleNamespace(id=2, kind="ip", value_hash="i" * 64, network=None),
            SimpleNamespace(id=3, kind="network", value_hash=None, network="41.208.0.0/16"),
            SimpleNamespace(id=4, kind="network", value_hash=None, network="2001:db8::/32"),
        ]
    )


def test_banned_email_ip_and_networks_are_spam_without_personal_data(bans):
    assert bans.check("e" * 64, None, None)[0].reason == {
        "code": "banned_author",
        "by": "email",
        "ban_id": 1,
    }
    assert bans.check("x", "i" * 64, None)[0].reason["by"] == "ip"
    [f] = bans.check("x", "y", "41.208.12.9")
    assert f.outcome == "spam"
    assert f.reason == {"code": "banned_author", "by": "network", "ban_id": 3}
    assert "41.208" not in str(f.reason)
    assert bans.check("x", "y", "2001:db8::1")[0].reason["ban_id"] == 4


def test_unbanned_authors_pass(bans):
    assert bans.check("x", "y", "41.209.0.1") == []
    assert bans.check("x", None, None) == []
    assert bans.check("x", "y", "not an ip") == []


def test_trust_needs_the_minimum_and_can_be_switched_off():
    assert is_trusted(3, 3) and not is_trusted(2, 3) and not is_trusted(100, 0)
