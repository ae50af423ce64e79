"""The desk's Integrations page in a real headless Chromium: an admin adds a webhook and a site,
sees the secret and the key once, disables the webhook; hostile URLs stay inert text."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_desk import log_in
from tests.service.desk.test_support import add_account

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_an_admin_registers_a_webhook_and_a_site(live, page):
    base = live.config["BASE_URL"]
    add_account(live, "admin@newsroom.example", role="admin", lang="en")
    log_in(page, base, "admin@newsroom.example")
    page.click("header nav a[href='/moderation/integrations']")
    page.wait_for_url(base + "/moderation/integrations")

    hostile = 'https://news.example/hook?x="><script>alert(1)</script>'
    page.fill('section#webhooks input[name="url"]', hostile)
    page.uncheck('section#webhooks input[value="comment.held"]')
    page.click('section#webhooks form.add button[type="submit"]')
    secret = page.locator("#new-secret")
    expect(secret).to_have_text(re.compile(r"^whsec_\S{40,}$"))
    endpoint = page.locator("article.endpoint")
    expect(endpoint).to_have_count(1)
    expect(endpoint.locator("h3")).to_contain_text(hostile)  # shown as text, never run
    expect(endpoint).not_to_contain_text("comment.held")
    expect(endpoint.locator(".state")).to_have_text("enabled")

    page.fill('section#sites input[name="name"]', "news")
    page.fill('section#sites input[name="origin"]', "https://news.example")
    page.click('section#sites form.add button[type="submit"]')
    key = page.locator("#new-key").inner_text()
    assert key.startswith("mz") and len(key) == 34
    expect(page.locator("tr.site")).to_contain_text("https://news.example")
    # Shown once: a fresh load of the page has neither the key nor the secret.
    page.goto(base + "/moderation/integrations")
    assert key not in page.content() and "whsec_" not in page.content()

    page.click('article.endpoint button[value="disable"]')
    expect(page.locator("article.endpoint .state")).to_have_text("disabled")
    screenshot(page, "integrations-en")
