"""The desk a newsroom works in all day, in a real headless Chromium: words in Arabic and English,
times in the site's zone, why a comment was held, undo, accounts, blocked domains, stats,
readers' data, and an axe-core accessibility check. One server for the whole module."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from mizan.service.db import utcnow
from tests import factories
from tests.browser.conftest import axe_violations, screenshot, serve
from tests.service.desk.test_support import PASSWORD, add_account, make_comment

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ZONE = "Africa/Tripoli"  # UTC+2 all year


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with serve(
        tmp_path_factory.mktemp("desk"), MIZAN_TIMEZONE=ZONE, MIZAN_QUEUE_ALERT_MINUTES="120"
    ) as app:
        add_account(app, "huda@newsroom.example", role="admin", lang="ar")
        add_account(app, "sam@newsroom.example", role="admin", lang="en")
        yield app


def log_in(page, base: str, email: str, target: str = "/moderation/") -> None:
    page.goto(base + "/moderation/login")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.click('#login-form button[type="submit"]')
    page.wait_for_url(base + "/moderation/")
    if target != "/moderation/":
        page.goto(base + target)


def seed_reasons(app, post_id: str) -> dict[str, str]:
    """One held comment per kind of reason, as the worker and the rules record them."""
    now = utcnow()
    abusive = "أنت حمار وغبي ولا تفهم شيئا"
    spammy = "اربح المال الآن www.win-cash.xyz واتصل 0912345678"
    ids = {
        "abuse": make_comment(
            app,
            body=abusive,
            post_id=post_id,
            scores={"spam": 0.08, "abuse": 0.71, "obscene": 0.33, "hate": 0.05},
            reasons=[
                {
                    "code": "abuse_score",
                    "score": 0.71,
                    "threshold": 0.45,
                    "insult_term": True,
                    "spans": [[4, 8], [9, 13]],
                }
            ],
            model_version="2026.11.29-4",
            at=now - timedelta(minutes=5),
        ),
        "spam": make_comment(
            app,
            body=spammy,
            post_id=post_id,
            scores={"spam": 0.62, "abuse": 0.02},
            reasons=[
                {
                    "code": "spam_signal",
                    "score": 0.62,
                    "signals": ["link", "phone"],
                    "spans": [[0, 4]],
                }
            ],
            model_version="2026.11.29-4",
            at=now - timedelta(hours=3),
        ),
        "rules": make_comment(
            app,
            body="تعليق عن الكهرباء فيه كلمة مراقبة",
            post_id=post_id,
            reasons=[
                {"code": "watched_term", "term": "مراقبة", "span": [27, 33]},
                {"code": "flood", "by": "email", "count": 7, "limit": 5, "window": 600},
            ],
            decided_by="rule",
            at=now - timedelta(days=2),
        ),
    }
    return ids


def test_arabic_desk_speaks_arabic_and_shows_why(site, page):
    base = site.config["BASE_URL"]
    ids = seed_reasons(site, "why-ar")
    log_in(page, base, "huda@newsroom.example", "/moderation/?post_id=why-ar&sort=newest")
    assert page.get_attribute("html", "dir") == "rtl" and page.get_attribute("html", "lang") == "ar"
    main = page.locator("main").inner_text()
    for code in ("abuse_score", "spam_signal", "watched_term", "flood", "held", "obscene"):
        assert code not in main, code
    abuse = page.locator(f'[data-id="{ids["abuse"]}"]')
    # the model's words are highlighted and named
    marks = abuse.locator(".body mark")
    assert marks.all_inner_texts() == ["حمار", "وغبي"]
    assert marks.first.get_attribute("title") == "درجة الإساءة"
    why = abuse.locator("ul.why").inner_text()
    assert "يرى النموذج أنه مسيء" in why and "0.71" in why and "0.45" in why
    assert "كلمة من قائمة الشتائم" in why
    # the version keeps its order inside an isolate
    version = abuse.locator(".model bdi")
    assert version.inner_text() == "2026.11.29-4"
    assert abuse.locator('.score[data-score="abuse"]').inner_text().startswith("إساءة")
    # a relative time in Arabic, the full time in the site's zone on hover
    t = abuse.locator(".when time")
    assert t.inner_text() == "منذ 5 دقائق"
    assert t.get_attribute("title").endswith("UTC+2")
    assert page.locator("footer.zone").inner_text().startswith("الأوقات بتوقيت Africa/Tripoli")
    # spam evidence and the links behind it
    spam = page.locator(f'[data-id="{ids["spam"]}"]')
    assert "رابط، رقم هاتف" in spam.locator("ul.why").inner_text()
    assert "www.win-cash.xyz" in spam.locator('.body mark[data-code="link"]').inner_text()
    assert spam.locator(".when time").inner_text() == "منذ 3 ساعات"
    rules = page.locator(f'[data-id="{ids["rules"]}"]')
    assert rules.locator(".body mark").inner_text() == "مراقبة"
    assert "أرسل البريد نفسه" in rules.locator("ul.why").inner_text()
    assert rules.locator(".when time").inner_text() == "منذ يومين"
    # a comment held for two days is past the two-hour alert of this site
    assert "الطابور يتأخر" in page.locator("#backlog-alert").inner_text()
    screenshot(page, "desk-why-ar", docs=True)

    page.goto(base + f"/moderation/comments/{ids['abuse']}")
    detail = page.locator("main").inner_text()
    assert "النموذج" in detail and "محجوزة" in detail
    assert "UTC+2" in page.locator("table.decisions").inner_text()
    screenshot(page, "desk-comment-ar", docs=True)
    assert page.js_errors == []


def test_hate_about_a_group_is_held_and_its_words_highlighted_in_arabic(site, page):
    """The shipped model and the policy decide, as the worker does; the desk names the reason."""
    from mizan.models.classifier import load_default
    from mizan.service.policy.verdict import decide, with_spans

    text = "والله المهاجرين كلهم حشرات، ما يستاهلوش يعيشوا بيناتنا"
    model = load_default()
    (scores,) = model.score([text])
    verdict = decide(scores, model.thresholds)
    assert verdict.outcome == "held"
    assert "dehumanising_phrase" in [r["code"] for r in verdict.reasons]
    reasons = with_spans(verdict.reasons, model.explain(text))
    base = site.config["BASE_URL"]
    cid = make_comment(
        site,
        body=text,
        post_id="why-hate",
        scores={"spam": round(scores.spam, 4), "abuse": round(scores.abuse, 4)},
        reasons=reasons,
        model_version=model.version,
        at=utcnow() - timedelta(minutes=2),
    )
    log_in(page, base, "huda@newsroom.example", "/moderation/?post_id=why-hate")
    item = page.locator(f'[data-id="{cid}"]')
    assert "يصف جماعة من الناس بالحشرات" in item.locator("ul.why").inner_text()
    # the phrase is one highlight named by its reason (the model's words inside it merge in)
    marked = item.locator('.body mark[data-code="dehumanising_phrase"]')
    assert marked.all_inner_texts() == ["المهاجرين كلهم حشرات"]
    assert marked.first.get_attribute("title") == "كراهية تجاه جماعة"
    screenshot(page, "desk-dehumanising-ar")
    assert page.js_errors == []


def test_english_desk_speaks_english(site, page):
    base = site.config["BASE_URL"]
    ids = seed_reasons(site, "why-en")
    log_in(page, base, "sam@newsroom.example", "/moderation/?post_id=why-en")
    assert page.get_attribute("html", "dir") == "ltr"
    abuse = page.locator(f'[data-id="{ids["abuse"]}"]')
    assert "The model finds it abusive" in abuse.locator("ul.why").inner_text()
    assert abuse.locator(".when time").inner_text() == "5 minutes ago"
    spam = page.locator(f'[data-id="{ids["spam"]}"]')
    assert "a link, a phone number" in spam.locator("ul.why").inner_text()
    assert page.locator('.tabs a[data-status="held"]').inner_text().startswith("Held")
    screenshot(page, "desk-why-en", docs=True)
    assert page.js_errors == []


def test_undo_a_bulk_action_from_the_toast_in_arabic(site, page):
    base = site.config["BASE_URL"]
    ids = [make_comment(site, body=f"تعليق {i} عن الميزانية", post_id="undo-ar") for i in range(4)]
    log_in(page, base, "huda@newsroom.example", "/moderation/?post_id=undo-ar")
    for key in ("x", "j", "x", "j", "x"):  # the first three
        page.keyboard.press(key)
    page.select_option("#reject-reason", "off_topic")
    page.click('button[data-bulk="reject"]')
    expect(page.locator("li.item")).to_have_count(1)
    toast = page.locator("#toast")
    expect(toast).to_be_visible()
    assert page.locator("#toast-text").inner_text() == "رُفض: 3"
    repo = site.extensions["mizan"].repo
    assert [factories.get_status(repo, c) for c in ids] == ["rejected"] * 3 + ["held"]
    screenshot(page, "desk-undo-ar", docs=True)
    page.click("#toast-undo")
    expect(page.locator("li.item")).to_have_count(4)
    assert [el.get_attribute("data-id") for el in page.locator("li.item").all()] == ids
    assert page.locator("#toast-text").inner_text() == "تم التراجع: 3"
    assert [factories.get_status(repo, c) for c in ids] == ["held"] * 4
    audit = page.request.get(base + f"/api/v1/moderation/audit?comment_id={ids[0]}").json()
    assert [e["action"] for e in audit["entries"]] == ["restore", "reject"]
    assert page.js_errors == []


def test_undo_with_the_keyboard_and_restore_from_the_comment_page(site, page):
    base = site.config["BASE_URL"]
    ids = [
        make_comment(site, body=f"Comment {i} on the budget", post_id="undo-en") for i in range(2)
    ]
    log_in(page, base, "sam@newsroom.example", "/moderation/?post_id=undo-en")
    page.keyboard.press("a")
    expect(page.locator("li.item")).to_have_count(1)
    assert page.locator("#toast-text").inner_text() == "Approved: 1"
    page.keyboard.press("u")
    expect(page.locator("li.item")).to_have_count(2)
    repo = site.extensions["mizan"].repo
    assert factories.get_status(repo, ids[0]) == "held"
    # a decided comment is restored from its own page (the no-JavaScript form)
    page.keyboard.press("s")
    expect(page.locator("li.item")).to_have_count(1)
    page.goto(base + f"/moderation/comments/{ids[0]}")
    assert page.locator(".status strong").inner_text() == "Spam"
    page.click(f'button[value="restore:{ids[0]}"]')
    expect(page.locator(".status strong")).to_have_text("Held")
    assert factories.get_status(repo, ids[0]) == "held"
    assert page.js_errors == []


def test_article_titles_linked_and_the_queue_grouped_by_article_in_arabic(site, page):
    base = site.config["BASE_URL"]
    now = utcnow()
    fuel = ("https://news.example/2026/11/fuel/", "طوابير الوقود تعود إلى طرابلس")
    league = ("https://news.example/2026/11/league/", "الدوري الليبي: الأهلي يتصدر")
    seeds = [  # oldest first: fuel, league, fuel, an article the site never named, league
        ("f1", "g-fuel", fuel),
        ("l1", "g-league", league),
        ("f2", "g-fuel", fuel),
        ("n1", "g-48213", (None, None)),
        ("l2", "g-league", league),
    ]
    ids = {
        name: make_comment(
            site,
            body=f"تعليق {name} عن غدامس",
            post_id=post,
            article_url=url,
            article_title=title,
            at=now - timedelta(minutes=50 - n),
        )
        for n, (name, post, (url, title)) in enumerate(seeds)
    }
    log_in(page, base, "huda@newsroom.example", "/moderation/?q=غدامس")
    row = page.locator(f'[data-id="{ids["f1"]}"]')
    link = row.locator(".meta a.article")
    assert link.inner_text() == fuel[1]
    assert link.get_attribute("href") == fuel[0]
    assert link.get_attribute("rel") == "noopener noreferrer"
    assert link.locator("bdi").count() == 1
    # no title known: the post id, isolated
    assert page.locator(f'[data-id="{ids["n1"]}"] .meta .post bdi').inner_text() == "g-48213"
    assert page.locator("section.group").count() == 0

    # group by article from the filters
    page.check('input[name="group"]')
    page.click('form.filters button[type="submit"]')
    page.wait_for_url(re.compile(r"group=article"))
    groups = page.locator("section.group")
    expect(groups).to_have_count(3)
    headings = [" ".join(h.split()) for h in groups.locator("h2").all_inner_texts()]
    assert headings == [
        f"{fuel[1]} التعليقات: 2",
        f"{league[1]} التعليقات: 2",
        "g-48213 التعليقات: 1",
    ]
    assert groups.nth(0).locator("h2 a.article").get_attribute("href") == fuel[0]
    order = [el.get_attribute("data-id") for el in page.locator("li.item").all()]
    assert order == [ids[k] for k in ("f1", "f2", "l1", "l2", "n1")]
    screenshot(page, "desk-queue-grouped-ar", docs=True)

    # the keyboard walks across the groups; a bulk action takes from two of them
    assert page.get_attribute("li.item.current", "data-id") == ids["f1"]
    for key in ("j", "x", "j", "x"):  # f2 and l1
        page.keyboard.press(key)
    page.click('button[data-bulk="approve"]')
    expect(page.locator("li.item")).to_have_count(3)
    assert page.locator("#toast-text").inner_text() == "نُشر: 2"
    assert [" ".join(h.split()) for h in groups.locator("h2").all_inner_texts()][:2] == [
        f"{fuel[1]} التعليقات: 1",
        f"{league[1]} التعليقات: 1",
    ]
    repo = site.extensions["mizan"].repo
    assert factories.get_status(repo, ids["f2"]) == "approved"
    assert factories.get_status(repo, ids["l1"]) == "approved"
    # the last of a group approved: its heading goes; undo brings it back in its place
    page.locator(f'[data-id="{ids["n1"]}"] button[data-action="approve"]').click()
    expect(groups.nth(2)).to_be_hidden()
    page.click("#toast-undo")
    expect(groups.nth(2)).to_be_visible()
    assert groups.nth(2).locator("li.item").get_attribute("data-id") == ids["n1"]
    assert [" ".join(h.split()) for h in groups.locator("h2").all_inner_texts()][
        2
    ] == "g-48213 التعليقات: 1"
    assert factories.get_status(repo, ids["n1"]) == "held"
    # a fresh load keeps grouping, and the tabs carry it
    page.reload()
    expect(page.locator("section.group")).to_have_count(3)
    assert "group=article" in page.get_attribute('a[data-status="spam"]', "href")
    assert page.js_errors == []


def test_accounts_page_in_arabic(site, page, browser):
    base = site.config["BASE_URL"]
    desk = site.extensions["mizan_desk"]
    log_in(page, base, "huda@newsroom.example")
    page.click("nav >> text=الحسابات")
    page.wait_for_url(base + "/moderation/accounts")
    form = page.locator("#add-account")
    form.locator('input[name="email"]').fill("omar@newsroom.example")
    form.locator('select[name="lang"]').select_option("ar")
    form.locator('input[name="password"]').fill("a long enough password")
    form.locator('button[type="submit"]').click()
    row = page.locator('tr[data-account="omar@newsroom.example"]')
    expect(row).to_contain_text("مشرف")
    token, prefix = desk.create_token("omar@newsroom.example", "ci")
    page.reload()
    # promote, reset the password (shown once), revoke the token, disable
    row.locator('select[name="role"]').select_option("admin")
    row.locator("[data-role-for]").click()
    expect(row.locator("td").nth(1)).to_have_text("مدير")
    row.locator("[data-reset-for]").click()
    shown = page.locator("#new-password").inner_text()
    new_password = shown.rsplit(": ", 1)[1].strip()
    assert desk.authenticate("omar@newsroom.example", new_password, "198.51.100.9").role == "admin"
    screenshot(page, "desk-accounts-ar", docs=True)
    row.locator(f'[data-revoke="{prefix}"]').click()
    expect(row).to_contain_text("ملغى")
    assert desk.actor_for_token(token) is None
    row.locator("[data-toggle-for]").click()
    expect(row.locator("td").nth(2)).to_have_text("معطّل")
    with pytest.raises(Exception, match="Wrong email or password"):
        desk.authenticate("omar@newsroom.example", new_password, "198.51.100.9")
    # an admin cannot lock themself out
    me = page.locator('tr[data-account="huda@newsroom.example"]')
    me.locator("[data-toggle-for]").click()
    expect(page.locator(".error")).to_have_text("لا يمكنك تعطيل حسابك أو خفض دوره.")
    actions = [
        e["action"]
        for e in page.request.get(base + "/api/v1/moderation/audit?limit=50").json()["entries"]
    ]
    for action in ("account_add", "account_update", "password_reset", "token_revoke"):
        assert action in actions
    page.goto(base + "/moderation/audit")
    assert "إعادة تعيين كلمة المرور" in page.locator("table.audit").inner_text()
    assert page.js_errors == []


def test_author_view_and_blocked_domains_in_english(site, page):
    base = site.config["BASE_URL"]
    email = "karim@example.ly"
    ids = [
        make_comment(site, "held", email=email, post_id="author-en", body="First try"),
        make_comment(site, "spam", email=email, post_id="author-en", body="Second try"),
        make_comment(site, "approved", email=email, post_id="author-en", body="Earlier one"),
    ]
    log_in(page, base, "sam@newsroom.example", "/moderation/?post_id=author-en")
    page.click(f'[data-id="{ids[0]}"] a >> text="Author"')
    page.wait_for_url(f"**/moderation/comments/{ids[0]}/author")
    assert page.locator(".author-comments > li").count() == 3
    assert "k•••@e•••.ly" in page.locator(".author-view .email").inner_text()
    assert email not in page.content()
    screenshot(page, "desk-author-en", docs=True)
    page.click(f'button[data-reveal="{ids[0]}"]')
    expect(page.locator(f'[data-email-for="{ids[0]}"]')).to_have_text(email)
    page.click("#approve-author")
    page.wait_for_load_state()
    expect(page.locator('.author-comments li[data-status="approved"]')).to_have_count(3)
    page.click("#ban-author")
    page.wait_for_url(f"**/moderation/comments/{ids[0]}/author")
    repo = site.extensions["mizan"].repo
    assert [factories.get_status(repo, c) for c in ids] == ["approved"] * 3
    audit = page.request.get(base + f"/api/v1/moderation/audit?comment_id={ids[0]}").json()
    assert [e["action"] for e in audit["entries"]] == ["ban", "approve", "reveal_email"]

    # blocked domains: add one, see the hits of the comments it sent to spam
    for _ in range(3):
        make_comment(
            site,
            "spam",
            decided_by="rule",
            reasons=[{"code": "blocked_domain", "domain": "cheap-pills.example"}],
        )
    page.click("nav >> text=Blocked domains")
    page.fill('#add-domain input[name="domain"]', "https://www.Cheap-Pills.example/buy")
    page.click('#add-domain button[type="submit"]')
    row = page.locator('tr[data-domain="cheap-pills.example"]')
    expect(row.locator(".hits")).to_have_text("3")
    page.fill('#add-domain input[name="domain"]', "not a domain")
    page.click('#add-domain button[type="submit"]')
    expect(page.locator(".error")).to_contain_text("Not a valid domain name")
    assert page.js_errors == []


def test_export_and_erase_a_readers_data_in_arabic(site, page):
    import json

    base = site.config["BASE_URL"]
    email = "layla@example.ly"
    ids = [
        make_comment(site, "approved", email=email, body="تعليق منشور", post_id="rights-ar"),
        make_comment(site, "held", email=email, body="تعليق محجوز", post_id="rights-ar"),
    ]
    log_in(page, base, "huda@newsroom.example")
    page.click("nav >> text=بيانات القراء")
    page.fill('#export-form input[name="email"]', email)
    with page.expect_download() as info:
        page.click('#export-form button[type="submit"]')
    data = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert sorted(c["id"] for c in data["comments"]) == sorted(ids)
    assert {c["body"] for c in data["comments"]} == {"تعليق منشور", "تعليق محجوز"}
    page.fill('#erase-form input[name="email"]', email)
    page.click('#erase-form button[type="submit"]')  # not confirmed: refused
    expect(page.locator(".error")).to_have_text("أكّد التحقق أولًا.")
    page.fill('#erase-form input[name="email"]', email)
    page.check('#erase-form input[name="confirm"]')
    screenshot(page, "desk-readers-ar", docs=True)
    page.click('#erase-form button[type="submit"]')
    expect(page.locator("#erase-result")).to_contain_text("مُحي: 2")
    repo = site.extensions["mizan"].repo
    assert [factories.get_status(repo, c) for c in ids] == ["approved", "rejected"]
    assert "بطلب من كاتبه" in factories.get_comment(repo, ids[0]).body
    page.goto(base + "/moderation/audit")
    audit = page.locator("table.audit").inner_text()
    assert "تصدير بيانات قارئ" in audit and "محو بيانات قارئ" in audit
    assert email not in page.content()
    assert page.js_errors == []


@pytest.mark.parametrize("who", ["huda@newsroom.example", "sam@newsroom.example"])
def test_no_serious_accessibility_violations(site, page, axe_source, who):
    """axe-core (from npm) on the queue, a comment and the stats page, in Arabic and English."""
    base = site.config["BASE_URL"]
    ids = seed_reasons(site, f"a11y-{who[:3]}")
    log_in(page, base, who)
    pages = {
        "queue": f"/moderation/?post_id=a11y-{who[:3]}",
        "grouped": f"/moderation/?post_id=a11y-{who[:3]}&group=article",
        "comment": f"/moderation/comments/{ids['abuse']}",
        "stats": "/moderation/stats",
    }
    found = {}
    for name, url in pages.items():
        page.goto(base + url)
        found[name] = axe_violations(page, axe_source)
    assert found == {name: [] for name in pages}
