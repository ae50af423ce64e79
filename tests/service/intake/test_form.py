"""The plain (no JavaScript) form: error pages in the reader's language, the way back."""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode

import pytest

from mizan.service.tables import Comment
from tests import factories
from tests.conftest import ORIGIN, make_settings
from tests.service.intake.test_api import count_comments

ARTICLE = f"{ORIGIN}/2026/11/fuel-crisis/"
TEXT = 'الوقود مفقود منذ أسبوع <b>وهذا</b> "غير مقبول" & مؤسف\r\nسطر ثانٍ'


def form(**overrides) -> dict:
    data = {
        "author": "سالم",
        "email": "salem@example.ly",
        "url": "",
        "comment": TEXT,
        "comment_post_ID": "7",
        "comment_parent": "0",
        "permalink": ARTICLE,
        "title": "أزمة الوقود",
        "submit": "إرسال",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post_form(client, data: dict, **headers):
    headers.setdefault("Origin", ORIGIN)
    return client.post(
        "/comments",
        data=urlencode(data),
        content_type="application/x-www-form-urlencoded",
        headers=headers,
    )


def field_value(page: str, name: str) -> str:
    m = re.search(rf'<input[^>]*name="{name}" value="([^"]*)"', page)
    assert m, name
    return html.unescape(m.group(1))


def textarea(page: str, name: str) -> str:
    m = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    assert m, name
    return html.unescape(m.group(1))


def test_missing_email_gives_an_arabic_page_with_the_text_refilled(client, app):
    resp = post_form(client, form(email="", lang="ar"))
    assert resp.status_code == 422 and resp.mimetype == "text/html"
    page = resp.get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    # The message sits next to the email field and the field points at it.
    assert re.search(
        r'name="author_email"[^>]*aria-invalid="true"[^>]*aria-describedby="e-author_email', page
    )
    assert '<p class="error" id="e-author_email">هذا الحقل مطلوب.</p>' in page
    # Never lost, never markup: the text comes back exactly, escaped.
    assert textarea(page, "body") == TEXT.replace("\r\n", "\n") or textarea(page, "body") == TEXT
    assert "<b>وهذا</b>" not in page
    assert field_value(page, "author_name") == "سالم"
    assert field_value(page, "post_id") == "7"
    assert field_value(page, "permalink") == ARTICLE
    assert field_value(page, "title") == "أزمة الوقود"
    assert field_value(page, "lang") == "ar"
    assert f'href="{ARTICLE}"' in page and "العودة إلى المقال" in page
    assert "لن يتم نشر عنوان بريدك الإلكتروني" in page
    assert count_comments(app) == 0


def test_language_comes_from_accept_language_without_a_lang_field(client):
    page = post_form(client, form(email="nope"), **{"Accept-Language": "en-GB,en;q=0.9"})
    text = page.get_data(as_text=True)
    assert page.status_code == 422 and 'dir="ltr"' in text
    assert "Not a valid email address." in text
    page = post_form(client, form(email="nope"), **{"Accept-Language": "ar-LY,ar;q=0.9"})
    assert "عنوان البريد الإلكتروني غير صالح." in page.get_data(as_text=True)


def test_json_only_when_asked_for(client):
    resp = post_form(client, form(email=""), Accept="application/json")
    assert resp.status_code == 422 and resp.get_json()["error"]["fields"]["author_email"]
    ok = post_form(client, form(), Accept="application/json")
    assert ok.status_code == 202 and ok.get_json()["status"] == "pending"


def test_resubmitting_from_the_error_page_lands_on_the_article(client, app):
    page = post_form(client, form(email="", lang="ar")).get_data(as_text=True)
    names = re.findall(r'<(?:input|textarea)[^>]*name="([^"]+)"', page)
    again = {n: field_value(page, n) for n in names if n != "body"}
    again["body"] = textarea(page, "body")
    again["author_email"] = "salem@example.ly"
    # The page is Mizan's own: its origin and Referer are Mizan's, not the site's.
    resp = post_form(client, again, Origin="http://localhost", Referer="http://localhost/comments")
    assert resp.status_code == 303, resp.get_data(as_text=True)
    assert resp.headers["Location"].startswith(ARTICLE + "#mizan-pending-")
    row = app.extensions["mizan"].repo
    cid = resp.headers["Location"].split("#mizan-pending-")[1].split(".")[0]
    stored = factories.get_comment(row, cid)
    assert isinstance(stored, Comment)
    assert stored.body == TEXT.strip()
    assert (stored.article_url, stored.article_title) == (ARTICLE, "أزمة الوقود")


def test_other_sites_still_refused_with_a_page_that_keeps_the_text(client, app):
    resp = post_form(client, form(), Origin="https://evil.example", **{"Accept-Language": "ar"})
    assert resp.status_code == 403 and resp.mimetype == "text/html"
    page = resp.get_data(as_text=True)
    assert "هذا المصدر غير مسموح به." in page and textarea(page, "body")
    assert count_comments(app) == 0


@pytest.mark.parametrize(
    ("extra", "headers", "expected"),
    [
        # the permalink field first
        ({}, {"Referer": f"{ORIGIN}/other/"}, ARTICLE),
        # a full Referer on an allowed site
        (
            {"permalink": None},
            {"Referer": f"{ORIGIN}/2026/11/x/?utm=1#c"},
            f"{ORIGIN}/2026/11/x/?utm=1",
        ),
    ],
)
def test_success_redirects_to_the_article_with_the_pending_fragment(
    client, extra, headers, expected
):
    resp = post_form(client, form(**extra), **headers)
    assert resp.status_code == 303
    article, _, fragment = resp.headers["Location"].partition("#")
    assert article == expected
    assert re.fullmatch(r"mizan-pending-[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", fragment)


def test_an_origin_only_referer_is_not_the_article(client):
    # What browsers send on a cross-site form post by default: the home page is not the article.
    resp = post_form(
        client, form(permalink=None), Referer=f"{ORIGIN}/", **{"Accept-Language": "ar"}
    )
    assert resp.status_code == 202
    assert "بانتظار المراجعة" in resp.get_data(as_text=True)


def test_the_site_template_finds_the_article(tmp_path, sqlite_url, sender):
    from mizan.service import create_app

    settings = make_settings(
        tmp_path, sqlite_url, post_url_template="https://news.example/?p={post_id}"
    )
    app = create_app(settings, sender=sender)
    try:
        client = app.test_client()
        resp = post_form(client, form(permalink=None), Referer=f"{ORIGIN}/")
        assert resp.status_code == 303
        assert resp.headers["Location"].startswith("https://news.example/?p=7#mizan-pending-")
        # ... and the error page goes back there too
        page = post_form(client, form(permalink=None, email="")).get_data(as_text=True)
        assert 'href="https://news.example/?p=7"' in page
        assert 'name="permalink"' not in page
    finally:
        app.extensions["mizan"].repo.engine.dispose()


def test_post_url_template_is_checked_at_start():
    from mizan.service.config import ConfigError, Settings

    env = {"MIZAN_POST_URL_TEMPLATE": "https://news.example/?p={post_id}"}
    assert Settings.from_env(env).post_url_template == env["MIZAN_POST_URL_TEMPLATE"]
    for bad in ("https://news.example/", "javascript:x/{post_id}", 'https://n.example/"{post_id}'):
        with pytest.raises(ConfigError):
            Settings.from_env({"MIZAN_POST_URL_TEMPLATE": bad})


def test_a_sites_script_can_read_the_form_endpoints_answers(client):
    resp = post_form(client, form(email=""), Accept="application/json")
    assert resp.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_article_url_and_title_are_stored_on_both_databases(tmp_path, db_url, sender):
    from mizan.service import create_app

    app = create_app(make_settings(tmp_path, db_url), sender=sender)
    try:
        client = app.test_client()
        resp = post_form(client, form(permalink=None), Referer=f"{ORIGIN}/2026/11/fuel/?p=1")
        cid = resp.headers["Location"].split("#mizan-pending-")[1].split(".")[0]
        row = factories.get_comment(app.extensions["mizan"].repo, cid)
        assert isinstance(row, Comment)
        # No permalink field: the article is the full Referer the browser sent.
        assert (row.article_url, row.article_title, row.permalink) == (
            f"{ORIGIN}/2026/11/fuel/?p=1",
            "أزمة الوقود",
            None,
        )
    finally:
        app.extensions["mizan"].repo.engine.dispose()
