"""The web desk in a real headless Chromium: login, keyboard, bulk actions, inert hostile text."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import screenshot
from tests.service.desk.test_support import PASSWORD, add_account, make_comment

pytestmark = [pytest.mark.browser, pytest.mark.slow]

POWER_CUTS = "https://news.example/2026/11/power-cuts/"


def log_in(page, base: str, email: str) -> None:
    page.goto(base + "/moderation/")
    assert "/moderation/login" in page.url  # sent to the login page first
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.click('#login-form button[type="submit"]')
    page.wait_for_url(base + "/moderation/")


def press_and_wait(page, key: str) -> None:
    items = page.locator("li.item")
    n = items.count()
    page.keyboard.press(key)
    expect(items).to_have_count(n - 1, timeout=10_000)


def test_clear_a_queue_of_50_with_the_keyboard_in_arabic(live, page):
    base = live.config["BASE_URL"]
    add_account(live, "huda@newsroom.example", lang="ar")
    ids = [
        make_comment(
            live,
            "held",
            body=f"تعليق رقم {i} عن انقطاع الكهرباء في طرابلس",
            article_url=POWER_CUTS,
            article_title="انقطاع الكهرباء في طرابلس: ساعات بلا تيار",
        )
        for i in range(50)
    ]
    log_in(page, base, "huda@newsroom.example")
    assert page.get_attribute("html", "dir") == "rtl" and page.get_attribute("html", "lang") == "ar"
    expect(page.locator("li.item")).to_have_count(50)
    article = page.locator("li.item").first.locator("a.article")
    assert article.inner_text() == "انقطاع الكهرباء في طرابلس: ساعات بلا تيار"
    assert article.get_attribute("href") == POWER_CUTS
    screenshot(page, "desk-queue-ar", docs=True)

    # j / k move the cursor
    first = page.get_attribute("li.item.current", "data-id")
    assert first == ids[0]
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert page.get_attribute("li.item.current", "data-id") == ids[1]
    page.keyboard.press("k")

    expected = {}
    for i, cid in enumerate(ids):
        key = "r" if i % 10 == 3 else "s" if i % 10 == 7 else "a"
        expected[cid] = {"a": "approved", "r": "rejected", "s": "spam"}[key]
        press_and_wait(page, key)
    page.wait_for_selector("#empty-after", state="visible")
    assert page.inner_text('[data-count="held"]').strip() == "0"
    assert page.js_errors == []

    repo = live.extensions["mizan"].repo
    assert {cid: factories.get_status(repo, cid) for cid in ids} == expected

    # the public list shows exactly the approved ones, oldest first
    public = page.request.get(base + "/api/v1/posts/article-42/comments?limit=100").json()
    assert [c["id"] for c in public["comments"]] == [c for c in ids if expected[c] == "approved"]

    # the audit log shows each action
    audit = page.request.get(base + "/api/v1/moderation/audit?limit=200").json()["entries"]
    assert sorted((e["comment_id"], e["to_status"]) for e in audit) == sorted(expected.items())
    assert {e["actor"] for e in audit} == {"huda@newsroom.example"}
    page.goto(base + "/moderation/audit")
    assert page.locator("table.audit tbody tr").count() == 50


def test_bulk_approve_in_english(live, page):
    base = live.config["BASE_URL"]
    add_account(live, "sam@newsroom.example", lang="en")
    ids = [
        make_comment(
            live,
            "held",
            body=f"Comment {i} on the power cuts",
            article_url=POWER_CUTS,
            article_title="Power cuts in Tripoli: hours without electricity",
        )
        for i in range(5)
    ]
    log_in(page, base, "sam@newsroom.example")
    assert page.get_attribute("html", "dir") == "ltr"
    for key in ("x", "j", "j", "x", "j", "x"):  # select the 1st, 3rd and 4th
        page.keyboard.press(key)
    assert page.locator("li.item.selected").count() == 3
    screenshot(page, "desk-queue-en", docs=True)
    page.click('button[data-bulk="approve"]')
    expect(page.locator("li.item")).to_have_count(2)
    repo = live.extensions["mizan"].repo
    assert [factories.get_status(repo, c) for c in ids] == [
        "approved",
        "held",
        "approved",
        "approved",
        "held",
    ]
    assert page.inner_text('[data-count="approved"]').strip() == "3"

    # reveal the author's email: shown in the page and audited
    page.click(f'button[data-reveal="{ids[1]}"]')
    expect(page.locator(f'[data-email-for="{ids[1]}"]')).to_have_text(re.compile(r"^[^•]+@"))
    audit = page.request.get(base + f"/api/v1/moderation/audit?comment_id={ids[1]}").json()
    assert [e["action"] for e in audit["entries"]] == ["reveal_email"]
    assert page.js_errors == []


HOSTILE_BODY = (
    '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned=2">'
    '" onmouseover="window.__pwned=3" <a href="javascript:window.__pwned=4">x</a> '
    "abc\u202edcba {{7*7}} </div></li>"
)
HOSTILE_NAME = '<b onmouseover="window.__pwned=5">x</b>\u202eevil\u202c'


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_hostile_comments_render_as_inert_text(live, page, lang):
    base = live.config["BASE_URL"]
    add_account(live, f"{lang}@newsroom.example", lang=lang)
    evil = make_comment(
        live,
        "held",
        body=HOSTILE_BODY,
        author_name=HOSTILE_NAME,
        author_url="javascript:window.__pwned=6",
        reasons=[{"code": "word_list", "span": [0, 8]}],
    )
    quoted = make_comment(
        live,
        "held",
        body="ok",
        author_url='https://example.org/"><script>window.__pwned=7</script>',
    )
    fine = make_comment(live, "held", body="ok too", author_url="https://example.org/me")
    log_in(page, base, f"{lang}@newsroom.example")
    for url in ("/moderation/", f"/moderation/comments/{evil}"):
        page.goto(base + url)
        item = page.locator(f'[data-id="{evil}"]')
        body_text = item.locator(".body").inner_text()
        assert "<script>window.__pwned = 1</script>" in body_text
        assert "⟦U+202E⟧" in body_text and "\u202e" not in body_text
        assert "{{7*7}}" in body_text
        assert item.locator(".body mark").inner_text() == "<script>"
        assert item.locator(".body *:not(mark)").count() == 0
        name = item.locator(".author .name")
        assert name.inner_text() == '<b onmouseover="window.__pwned=5">x</b>⟦U+202E⟧evil⟦U+202C⟧'
        assert item.locator(".author a").count() == 0  # no link for javascript:
        assert "javascript:" in item.locator(".author .url").inner_text()
        item.locator(".body").hover()
        name.hover()
        assert page.evaluate("window.__pwned") is None
        assert page.locator("script").count() == 1  # only desk.js
    page.goto(base + "/moderation/")
    assert page.locator(f'[data-id="{quoted}"] .author a').count() == 0
    link = page.locator(f'[data-id="{fine}"] .author a')
    assert link.get_attribute("href") == "https://example.org/me"
    assert link.get_attribute("rel") == "nofollow ugc noopener"
    assert page.evaluate("window.__pwned") is None
    assert page.js_errors == []
    screenshot(page, f"desk-hostile-{lang}")
