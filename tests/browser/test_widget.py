"""The readers' side in a real headless Chromium: the embeddable widget and the plain form.

One API (gunicorn) and one Celery worker process serve the whole module; the article pages come
from a tiny static server on another site (http://localhost:<port>, while Mizan answers on
http://127.0.0.1:<port>), as a news site's pages would.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select, update

from mizan.service.db import upgrade
from mizan.service.policy.repository import PolicyRepository
from mizan.service.tables import Comment, ReaderReport
from tests import factories
from tests.browser.conftest import CHROMIUM
from tests.conftest import REDIS_URL, RecordingSender
from tests.processes import Proc, mizan_env, request, start_api, start_worker, wait_for
from tests.service.desk.test_support import build_app, make_comment

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOSTILE = "<img src=x onerror=alert(1)><script>alert(2)</script>\"'><svg onload=alert(3)>"
PENDING_AR = "تعليقك بانتظار المراجعة."
# docs/screenshots/ only when asked (MIZAN_DOCS_SCREENSHOTS=1): a test run leaves the checkout clean
DOCS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("MIZAN_DOCS_SCREENSHOTS") == "1"
    else Path(__file__).resolve().parents[2] / "test-artifacts"
)


class _Site(http.server.SimpleHTTPRequestHandler):
    """Static pages; a page whose name starts with csp- comes with a strict CSP."""

    csp = ""

    def end_headers(self) -> None:
        if urlsplit(self.path).path.startswith("/csp-"):
            self.send_header("Content-Security-Policy", self.csp)
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args) -> None:  # quiet
        pass


@dataclass
class Stack:
    base: str
    site: str
    site_dir: Path
    app: object
    procs: list[Proc] = field(default_factory=list)

    def page_url(
        self, name: str, post_id: str, lang: str = "ar", attrs: str = "", body: str = ""
    ) -> str:
        """Write an article page with the two-line embed; return its URL."""
        dir_ = "rtl" if lang == "ar" else "ltr"
        title = "أزمة الوقود في طرابلس" if lang == "ar" else "Fuel crisis in Tripoli"
        html = f"""<!doctype html>
<html lang="{lang}" dir="{dir_}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/site.css"></head>
<body><main><article><h1>{title}</h1>
<p>{"نص المقال." if lang == "ar" else "The article."}</p></article>
{body}
<div id="mizan-comments" data-post-id="{post_id}" {attrs}></div>
<script src="{self.base}/embed.js" async></script>
</main></body></html>"""
        (self.site_dir / name).write_text(html, encoding="utf-8")
        return f"{self.site}/{name}"

    def engine(self):
        return self.app.extensions["mizan"].repo.engine  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    import redis

    tmp = tmp_path_factory.mktemp("widget")
    url = f"sqlite:///{tmp / 'mizan.sqlite3'}"
    upgrade(url)
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    client.close()
    site_dir = tmp / "site"
    site_dir.mkdir()
    (site_dir / "site.css").write_text(
        "body{font-family:sans-serif;margin:0 auto;max-width:52rem;padding:1rem}", "utf-8"
    )
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Site, directory=str(site_dir))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site = f"http://localhost:{server.server_address[1]}"
    env = mizan_env(url, REDIS_URL, tmp, MIZAN_ALLOWED_ORIGINS=site)
    procs: list[Proc] = []
    app = None
    try:
        procs.append(start_worker(env, tmp / "worker.log"))
        api, base = start_api(env, tmp / "api.log")
        procs.append(api)
        _Site.csp = (
            f"default-src 'none'; script-src {base}; style-src 'self' {base}; "
            f"connect-src {base}; img-src 'self'; form-action {base}; base-uri 'none'"
        )
        app = build_app(
            tmp,
            url,
            RecordingSender(),
            secret_key=env["MIZAN_SECRET_KEY"],
            allowed_origins=(site,),
        )
        yield Stack(base, site, site_dir, app, procs)
        log = (tmp / "api.log").read_text(errors="replace")
        assert "unexpected error" not in log, log[-3000:]
    finally:
        for p in procs:
            p.stop()
        server.shutdown()
        server.server_close()
        if app is not None:
            app.extensions["mizan"].repo.engine.dispose()


@pytest.fixture
def reader(browser, stack):
    """A fresh browser profile; collects JS errors, dialogs, CSP reports and every request."""
    contexts = []

    def open_page(lang: str = "ar", width: int = 1200, height: int = 900):
        context = browser.new_context(
            viewport={"width": width, "height": height},
            locale="ar-LY" if lang == "ar" else "en-GB",
        )
        contexts.append(context)
        pg = context.new_page()
        pg.problems = []
        pg.requests = []
        pg.on("pageerror", lambda exc: pg.problems.append(f"pageerror: {exc}"))
        pg.on("dialog", lambda d: (pg.problems.append("dialog: " + d.message), d.dismiss()))
        # Chromium reports CSP violations on the console (4xx answers are logged there too,
        # and are expected here).
        pg.on(
            "console",
            lambda m: (
                ("Content Security Policy" in m.text or "Refused" in m.text)
                and pg.problems.append(f"console: {m.text}")
            ),
        )
        pg.on("request", lambda r: pg.requests.append(r.url))
        return pg

    yield open_page
    for c in contexts:
        c.close()


def unique_email() -> str:
    return f"reader.{secrets.token_hex(5)}@example.ly"


def fill_form(page, name: str, email: str, body: str, url: str = "") -> None:
    form = page.locator(".mizan-form")
    form.get_by_label(re.compile("^(الاسم|Name)")).fill(name)
    form.get_by_label(re.compile("^(البريد الإلكتروني|Email)")).fill(email)
    form.get_by_label(re.compile("^(الموقع الإلكتروني|Website)")).fill(url)
    form.get_by_label(re.compile("^(التعليق|Comment)")).fill(body)


def published(page, text: str):
    return page.locator(".mizan-comment:not(.mizan-pending) > .mizan-card", has_text=text)


def seed(stack: Stack, post_id: str, n: int, **kw) -> list[str]:
    return [
        make_comment(stack.app, "approved", post_id=post_id, ip=None, **kw)
        if "body" in kw
        else make_comment(
            stack.app, "approved", post_id=post_id, ip=None, body=f"تعليق رقم {i + 1}"
        )
        for i in range(n)
    ]


def make_reply(stack: Stack, parent: str, root: str, post_id: str, **kw) -> str:
    cid = make_comment(stack.app, "approved", post_id=post_id, ip=None, **kw)
    with stack.engine().begin() as conn:
        conn.execute(
            update(Comment).where(Comment.id == cid).values(parent_id=parent, root_id=root)
        )
    return cid


# --- the widget -----------------------------------------------------------------------------


def test_a_polite_comment_is_published_by_the_worker(stack, reader):
    page = reader("ar")
    page.goto(stack.page_url("polite.html", "polite-1"))
    section = page.locator("section.mizan")
    expect(section).to_have_attribute("dir", "rtl")
    expect(page.locator(".mizan-empty")).to_be_visible()
    # The form as the site's own says it: required marks and the email note.
    expect(page.locator(".mizan-note")).to_have_text(re.compile("لن يتم نشر عنوان بريدك"))
    assert page.locator(".mizan-form .mizan-req").count() == 3
    text = "شكرا على هذا التقرير المفيد"
    fill_form(page, "سالم", unique_email(), text)
    page.get_by_role("button", name="أرسل التعليق").click()
    expect(page.locator(".mizan-pending", has_text=text)).to_contain_text(PENDING_AR)
    expect(page.get_by_role("status").first).to_have_text("وصلنا تعليقك وهو بانتظار المراجعة.")
    # The real worker decides; the widget's poll turns it into a published comment.
    expect(published(page, text)).to_be_visible(timeout=30_000)
    expect(page.locator(".mizan-pending")).to_have_count(0)
    page.reload()
    expect(published(page, text)).to_be_visible()
    assert page.evaluate("localStorage.getItem('mizan.pending')") == "[]"
    with stack.engine().connect() as conn:
        row = conn.execute(select(Comment).where(Comment.post_id == "polite-1")).one()
    assert row.article_url == stack.site + "/polite.html"
    assert row.article_title == "أزمة الوقود في طرابلس"
    assert page.problems == []


def test_a_held_comment_shows_awaiting_moderation_across_a_reload(stack, reader):
    factories.set_post_policy(PolicyRepository(stack.engine()), "held-1", premoderation=True)
    page = reader("ar")
    page.goto(stack.page_url("held.html", "held-1"))
    text = "شكرا على هذا التقرير المفيد عن أزمة الوقود في طرابلس"
    fill_form(page, "مريم", unique_email(), text)
    page.get_by_role("button", name="أرسل التعليق").click()
    pending = page.locator(".mizan-pending", has_text=text)
    expect(pending).to_contain_text(PENDING_AR)
    with stack.engine().connect() as conn:
        cid = conn.execute(select(Comment.id).where(Comment.post_id == "held-1")).scalar_one()
    wait_for(
        lambda: factories.get_status(stack.app.extensions["mizan"].repo, cid) == "held", 30, "held"
    )
    page.reload()
    expect(page.locator(f"#mizan-pending-{cid}")).to_contain_text(PENDING_AR)
    expect(page.locator(f"#mizan-pending-{cid}")).to_contain_text(text)
    assert published(page, text).count() == 0
    # The author's receipt lives in localStorage only; the public list never shows it.
    _s, _h, listed = request("GET", f"{stack.base}/api/v1/posts/held-1/comments")
    assert listed["comments"] == []
    assert page.problems == []


def test_validation_errors_in_arabic_next_to_the_fields_and_the_text_kept(stack, reader):
    page = reader("ar")
    page.goto(stack.page_url("invalid.html", "invalid-1"))
    text = "نص طويل كتبته بعناية\nولا أريد أن يضيع"
    fill_form(page, "علي", "", text, url='http://x.example/"onmouseover=alert(1)')
    page.get_by_role("button", name="أرسل التعليق").click()
    email = page.locator(".mizan-form input[name=author_email]")
    expect(email).to_have_attribute("aria-invalid", "true")
    described = email.get_attribute("aria-describedby").split()
    error = page.locator(f"#{described[0]}")
    expect(error).to_have_text("هذا الحقل مطلوب.")
    expect(page.locator(".mizan-field-author_url .mizan-error")).to_have_text(
        "رابط غير صالح: استخدم عنوانًا يبدأ بـ http أو https."
    )
    expect(email).to_be_focused()  # the first field in error, in the form's order
    expect(page.get_by_role("alert")).to_have_text("تعذّر قبول التعليق: راجع الحقول.")
    assert page.locator(".mizan-form textarea").input_value() == text
    # Corrected, it goes through; nothing was stored before.
    with stack.engine().connect() as conn:
        stored = conn.execute(select(func.count()).where(Comment.post_id == "invalid-1"))
        assert stored.scalar_one() == 0
    email.fill(unique_email())
    page.locator(".mizan-form input[name=author_url]").fill("")
    page.get_by_role("button", name="أرسل التعليق").click()
    expect(page.locator(".mizan-pending")).to_contain_text("ولا أريد أن يضيع")
    expect(email).not_to_have_attribute("aria-invalid", "true")
    # Too soon again from the same email: the API's 429, its Retry-After honoured.
    page.locator(".mizan-form textarea").fill("تعليق ثان بسرعة")
    page.get_by_role("button", name="أرسل التعليق").click()
    expect(page.get_by_role("alert")).to_contain_text(re.compile(r"انتظر \d+ ثانية"))
    expect(page.locator(".mizan-form .mizan-submit")).to_be_disabled()
    assert page.locator(".mizan-form textarea").input_value() == "تعليق ثان بسرعة"
    assert page.problems == []


def test_reply_and_report(stack, reader):
    parent = make_comment(stack.app, "approved", post_id="reply-1", ip=None, body="تقرير جيد")
    page = reader("en")
    page.goto(stack.page_url("reply.html", "reply-1", lang="en"))
    card = published(page, "تقرير جيد")
    card.get_by_role("button", name="Reply").click()
    form = page.locator(f"#mizan1-c-{parent} .mizan-form")
    expect(form.locator(".mizan-form-title")).to_have_text("Reply to سالم")
    expect(form.locator("textarea")).to_be_focused()
    text = "Thank you for this useful report on the fuel crisis."
    fill_form(page, "Sam", unique_email(), text)
    form.get_by_role("button", name="Post comment").click()
    nested = page.locator(f"#mizan1-c-{parent} .mizan-replies .mizan-comment", has_text=text)
    expect(nested).to_be_visible()
    expect(nested.locator(".mizan-card")).not_to_contain_text("awaiting moderation", timeout=30_000)
    with stack.engine().connect() as conn:
        reply = conn.execute(select(Comment).where(Comment.body == text)).one()
    assert reply.parent_id == parent and reply.status == "approved"
    # The form went home after the post.
    expect(page.locator(".mizan-form-home .mizan-form")).to_be_visible()

    card.get_by_role("button", name="Report").click()
    report = page.locator(f"#mizan1-c-{parent} .mizan-report-form")
    report.get_by_label("Abusive").check()
    report.get_by_label(re.compile("^Note")).fill("insults")
    report.get_by_role("button", name="Send report").click()
    expect(page.locator(f"#mizan1-c-{parent} > .mizan-card > .mizan-report-slot")).to_have_text(
        "Thank you: the moderators will look at your report."
    )
    with stack.engine().connect() as conn:
        reports = conn.execute(select(ReaderReport).where(ReaderReport.comment_id == parent)).all()
    assert [(r.reason, r.note) for r in reports] == [("abusive", "insults")]
    assert page.problems == []


def test_more_pages_over_60_comments_oldest_first(stack, reader):
    ids = seed(stack, "long-1", 61)
    page = reader("en")
    page.goto(stack.page_url("long.html", "long-1", lang="en"))
    threads = page.locator(".mizan-list > .mizan-comment")
    expect(threads).to_have_count(20)
    more = page.get_by_role("button", name="Show more comments")
    more.click()
    expect(threads).to_have_count(40)
    more.click()
    expect(threads).to_have_count(60)
    more.click()
    expect(threads).to_have_count(61)
    expect(more).to_be_hidden()
    shown = [i.removeprefix("mizan1-c-") for i in threads.evaluate_all("l => l.map(e => e.id)")]
    assert shown == ids
    assert page.problems == []


def test_hostile_text_in_every_field_renders_inert(stack, reader):
    # Stored before author_url was checked (or by a bug elsewhere): the widget still refuses it.
    make_comment(
        stack.app,
        "approved",
        post_id="hostile-1",
        ip=None,
        author_name=HOSTILE,
        body=HOSTILE,
        author_url="javascript:alert(4)",
    )
    make_comment(
        stack.app,
        "approved",
        post_id="hostile-1",
        ip=None,
        author_name="Quote",
        body="quote",
        author_url='http://x.example/"onmouseover=alert(5)',
    )
    make_comment(
        stack.app,
        "approved",
        post_id="hostile-1",
        ip=None,
        author_name="Blog",
        body="fine",
        author_url="https://blog.example/a?b=1",
    )
    page = reader("en")
    page.goto(
        stack.page_url(
            "hostile.html",
            "hostile-1",
            lang="en",
            attrs=f'data-title="{HOSTILE.replace(chr(34), "&quot;")}"',
        )
    )
    expect(page.locator(".mizan-list > .mizan-comment")).to_have_count(3)
    # Through the form too: name and text; the hostile URL is refused with its message.
    fill_form(page, HOSTILE, unique_email(), HOSTILE + " ثانية", url="http://x.example/'><script>")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator(".mizan-field-author_url .mizan-error")).to_be_visible()
    page.locator(".mizan-form input[name=author_url]").fill("")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator(".mizan-pending")).to_contain_text(HOSTILE + " ثانية")
    widget = page.locator("#mizan-comments")
    assert widget.locator("img, script, svg, iframe, [onerror], [onload]").count() == 0
    assert page.locator(".mizan-author", has_text=HOSTILE).count() == 2
    links = widget.locator("a").evaluate_all("l => l.map(a => [a.href, a.rel])")
    assert links == [["https://blog.example/a?b=1", "nofollow ugc noopener"]]
    page.wait_for_timeout(300)
    assert page.problems == []
    with stack.engine().connect() as conn:
        row = conn.execute(select(Comment).where(Comment.body == HOSTILE + " ثانية")).one()
    assert row.article_title == HOSTILE  # stored as the text it is; escaping is the page's job


def test_a_page_with_a_strict_csp_works(stack, reader):
    make_comment(stack.app, "approved", post_id="csp-1", ip=None, body="أول تعليق")
    page = reader("ar")
    page.goto(stack.page_url("csp-article.html", "csp-1"))
    expect(published(page, "أول تعليق")).to_be_visible()
    # The stylesheet applied (no inline style anywhere), and posting works.
    colour = page.locator(".mizan-submit").evaluate("b => getComputedStyle(b).backgroundColor")
    assert colour == "rgb(11, 83, 148)"
    fill_form(page, "سالم", unique_email(), "تقرير جيد، بارك الله فيكم")
    page.get_by_role("button", name="أرسل التعليق").click()
    expect(page.locator(".mizan-pending")).to_contain_text(PENDING_AR)
    page.wait_for_timeout(300)
    assert page.problems == []  # no CSP violation reported on the console
    origins = {f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in page.requests}
    assert origins <= {stack.site, stack.base}, origins  # no third-party request


# --- the plain form -------------------------------------------------------------------------


def test_plain_form_error_page_in_arabic_then_back_to_the_article(stack, reader):
    # Held, so the comment is still waiting when the article shows it.
    factories.set_post_policy(PolicyRepository(stack.engine()), "plain-1", premoderation=True)
    page = reader("ar")
    article = stack.page_url(
        "plain.html",
        "plain-1",
        body=f"""<form method="post" action="{stack.base}/comments" id="commentform">
<p><label for="author">الاسم *</label><input id="author" name="author" required></p>
<p><label for="email">البريد الإلكتروني *</label><input id="email" name="email"></p>
<p><label for="comment">التعليق *</label><textarea id="comment" name="comment"></textarea></p>
<input type="hidden" name="comment_post_ID" value="plain-1">
<input type="hidden" name="comment_parent" value="0">
<input type="hidden" name="permalink" value="PERMALINK">
<p><input type="submit" name="submit" value="أرسل التعليق"></p></form>""",
    )
    html = (stack.site_dir / "plain.html").read_text("utf-8").replace("PERMALINK", article)
    (stack.site_dir / "plain.html").write_text(html, "utf-8")
    page.goto(article)
    text = "شكرا على التغطية، وأتمنى متابعة الموضوع"
    page.fill("#author", "نورا")
    page.fill("#comment", text)
    page.click("#commentform [type=submit]")
    page.wait_for_url(stack.base + "/comments")
    assert page.get_attribute("html", "dir") == "rtl"
    expect(page.locator("h1")).to_have_text("تعذّر نشر تعليقك")
    expect(page.locator("#e-author_email")).to_have_text("هذا الحقل مطلوب.")
    expect(page.locator("textarea[name=body]")).to_have_value(text)
    expect(page.locator("input[name=author_name]")).to_have_value("نورا")
    expect(page.get_by_role("link", name="العودة إلى المقال")).to_have_attribute("href", article)
    expect(page.locator("input[name=author_email]")).to_be_focused()
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / "form-error-ar.png"))
    page.fill("input[name=author_email]", unique_email())
    page.get_by_role("button", name="أرسل التعليق").click()
    # Back on the article, with the receipt in the fragment: the widget shows the comment.
    page.wait_for_url(re.compile(re.escape(article) + "#mizan-pending-"))
    expect(page.locator(".mizan-pending")).to_contain_text(text)
    expect(page.locator(".mizan-pending")).to_contain_text(PENDING_AR)
    # The receipt left the address bar once the widget kept it.
    assert re.fullmatch(r"mizan-pending-[A-Za-z0-9_-]+", urlsplit(page.url).fragment)
    assert page.problems == []


# --- screenshots for the documentation ------------------------------------------------------


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_screenshots_desktop_and_360px(stack, reader, lang):
    post_id = f"shots-{lang}"
    words = {
        "ar": (
            "سالم الورفلي",
            "تقرير مفصل ومفيد عن أزمة الوقود، شكرا لكم.",
            "مريم",
            "أتفق معك، والطوابير في بنغازي أطول.",
            "هل من موعد لانتهاء الأزمة؟",
        ),
        "en": (
            "Salem",
            "A detailed and useful report on the fuel crisis, thank you.",
            "Maryam",
            "Agreed, and the queues in Benghazi are longer.",
            "Is there any date for the end of the crisis?",
        ),
    }[lang]
    root = make_comment(
        stack.app,
        "approved",
        post_id=post_id,
        ip=None,
        author_name=words[0],
        body=words[1],
        author_url="https://blog.example/",
    )
    make_reply(stack, root, root, post_id, author_name=words[2], body=words[3])
    make_comment(
        stack.app, "approved", post_id=post_id, ip=None, author_name=words[2], body=words[4]
    )
    # The reader's own comment, held, arriving as a plain form's redirect would bring it.
    factories.set_post_policy(PolicyRepository(stack.engine()), post_id, premoderation=True)
    status, _h, accepted = request(
        "POST",
        stack.base + "/api/v1/comments",
        {
            "post_id": post_id,
            "author_name": "نورا" if lang == "ar" else "Nora",
            "author_email": unique_email(),
            "body": "متى تعود الكهرباء إلى الأحياء الجنوبية؟"
            if lang == "ar"
            else "When will power be back in the southern districts?",
        },
        headers={"Origin": stack.site},
    )
    assert status == 202, accepted
    receipt = accepted["status_url"].split("receipt=")[1]
    fragment = f"#mizan-pending-{accepted['id']}.{receipt}"
    for width, height, suffix in ((1200, 1400, "desktop"), (360, 2000, "360")):
        page = reader(lang, width=width, height=height)
        page.goto(stack.page_url(f"shots-{lang}.html", post_id, lang=lang) + fragment)
        expect(page.locator(".mizan-list > .mizan-comment")).to_have_count(3)
        expect(page.locator(".mizan-pending")).to_be_visible()
        # An error next to a field, as a reader would see it.
        page.get_by_role("button", name="أرسل التعليق" if lang == "ar" else "Post comment").click()
        expect(page.locator(".mizan-field-author_email .mizan-error")).to_be_visible()
        page.wait_for_timeout(200)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        DOCS.mkdir(parents=True, exist_ok=True)
        page.locator("#mizan-comments").screenshot(path=str(DOCS / f"widget-{lang}-{suffix}.png"))
        assert page.problems == []
