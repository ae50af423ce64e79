"""The article a comment is about: stored from what the site gave, shown linked in the desk,
the queue grouped by article on demand (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from mizan.service.db import utcnow
from mizan.service.desk.usecase import article_groups
from tests.conftest import ORIGIN, comment_payload
from tests.service.desk.test_support import add_account, login, make_comment, token_for

FUEL = f"{ORIGIN}/2026/11/fuel-crisis/"
TITLE = "أزمة الوقود في طرابلس"


@pytest.fixture
def auth(app):
    email = add_account(app, "api@newsroom.example")
    return {"Authorization": f"Bearer {token_for(app, email)}"}


def article_of(c: dict) -> tuple:
    return c["post_id"], c["article_url"], c["article_title"]


def test_the_article_a_reader_commented_on_reaches_the_moderation_api(app, client, auth):
    payload = comment_payload(post_id="48213", permalink=FUEL, title=TITLE)
    resp = client.post(
        "/api/v1/comments",
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json", "Origin": ORIGIN},
    )
    assert resp.status_code == 202, resp.get_data(as_text=True)
    cid = resp.get_json()["id"]
    detail = client.get(f"/api/v1/moderation/comments/{cid}", headers=auth).get_json()
    assert article_of(detail) == ("48213", FUEL, TITLE)

    held = make_comment(app, post_id="48213", article_url=FUEL, article_title=TITLE)
    bare = make_comment(app, post_id="77")
    queue = client.get("/api/v1/moderation/comments?status=held", headers=auth).get_json()
    by_id = {c["id"]: article_of(c) for c in queue["comments"]}
    assert by_id == {held: ("48213", FUEL, TITLE), bare: ("77", None, None)}


def test_article_groups_keep_the_order_and_name_each_article_by_its_latest_title():
    def item(cid, post, minute, title=None, url=None):
        at = f"2026-11-30T10:{minute:02d}:00+00:00"
        return {
            "id": cid,
            "post_id": post,
            "created_at": at,
            "article_title": title,
            "article_url": url,
        }

    items = [
        item("b1", "B", 5),
        item("a1", "A", 1, "Old title", FUEL),
        item("c1", "C", 3),
        item("a2", "A", 9, "New title"),
        item("b2", "B", 2),
    ]
    groups = article_groups(items)
    assert [(g["post_id"], [i["id"] for i in g["items"]]) for g in groups] == [
        ("B", ["b1", "b2"]),
        ("A", ["a1", "a2"]),
        ("C", ["c1"]),
    ]
    a = groups[1]
    # the newest title, and the newest URL any of its comments carried
    assert (a["article_title"], a["article_url"]) == ("New title", FUEL)
    assert (groups[0]["article_title"], groups[0]["article_url"]) == (None, None)
    assert article_groups([]) == []


def test_the_desk_shows_the_title_linked_to_the_article_or_the_post_id(app, client):
    add_account(app, lang="ar")
    login(client, "mod@newsroom.example")
    hostile = '<img src=x onerror=alert(1)> "عنوان" \u202eمقلوب'
    linked = make_comment(app, post_id="48213", article_url=FUEL, article_title=hostile)
    make_comment(app, post_id="900", article_url="javascript:alert(1)", article_title="بلا رابط")
    make_comment(app, post_id="901")
    make_comment(app, post_id="902", article_url=f"{ORIGIN}/?p=902")
    html = client.get("/moderation/").get_data(as_text=True)
    anchors = re.findall(r'<a class="article" href="([^"]+)" ([^>]*)><bdi>([^<]*)</bdi>', html)
    assert (
        FUEL,
        'rel="noopener noreferrer" target="_blank"',
        "&lt;img src=x onerror=alert(1)&gt; &#34;عنوان&#34; ⟦U+202E⟧مقلوب",
    ) in anchors
    assert "<img src=x" not in html and "javascript:" not in html
    # a title without a usable link is text; without a title, the post id (linked if possible)
    assert '<bdi class="article">بلا رابط</bdi>' in html
    assert '<bdi dir="ltr">901</bdi>' in html
    assert re.search(
        rf'<a class="article" href="{re.escape(ORIGIN)}/\?p=902" [^>]*>'
        r'<bdi dir="ltr">902</bdi></a>',
        html,
    )
    # the comment's own page and the author view show it the same way
    page = client.get(f"/moderation/comments/{linked}").get_data(as_text=True)
    assert f'<a class="article" href="{FUEL}" rel="noopener noreferrer"' in page
    author = client.get(f"/moderation/comments/{linked}/author").get_data(as_text=True)
    assert f'<a class="article" href="{FUEL}" rel="noopener noreferrer"' in author


def test_the_queue_groups_by_article_on_demand_keeping_its_order(app, client):
    add_account(app, lang="ar")
    login(client, "mod@newsroom.example")
    start = utcnow() - timedelta(hours=2)
    ids = {}
    for n, (name, post, title) in enumerate(
        [
            ("a1", "48213", TITLE),
            ("b1", "51000", None),
            ("a2", "48213", TITLE),
            ("c1", "52000", "الدوري الليبي"),
            ("b2", "51000", None),
        ]
    ):
        url = FUEL if post == "48213" else None
        ids[name] = make_comment(
            app,
            post_id=post,
            article_url=url,
            article_title=title,
            at=start + timedelta(minutes=n),
        )
    plain = client.get("/moderation/").get_data(as_text=True)
    assert 'class="group"' not in plain
    assert [plain.index(f'id="c-{ids[k]}"') for k in ("a1", "b1", "a2", "c1", "b2")] == sorted(
        plain.index(f'id="c-{ids[k]}"') for k in ids
    )

    html = client.get("/moderation/?group=article").get_data(as_text=True)
    sections = re.findall(r'<section class="group".*?</section>', html, re.S)
    assert len(sections) == 3
    found = []
    for section in sections:
        heading = re.search(r"<h2[^>]*>(.*?)</h2>", section, re.S).group(1)
        rows = [k for k in ("a1", "a2", "b1", "b2", "c1") if f'id="c-{ids[k]}"' in section]
        rows.sort(key=lambda k: section.index(f'id="c-{ids[k]}"'))
        count = re.search(r'التعليقات: <bdi dir="ltr">(\d+)</bdi>', heading).group(1)
        found.append((rows, int(count)))
        if rows[0] == "a1":
            assert f'<a class="article" href="{FUEL}"' in heading and TITLE in heading
        if rows[0] == "b1":
            assert '<bdi dir="ltr">51000</bdi>' in heading
    # groups in the order of their first comment, oldest first within each
    assert found == [(["a1", "a2"], 2), (["b1", "b2"], 2), (["c1"], 1)]
    # the toggle stays on across tabs and is ticked in the filters
    assert 'name="group" value="article" checked' in html
    assert '/moderation/?status=spam&amp;group=article"' in html
    # newest first groups by the newest comment of each article
    newest = client.get("/moderation/?group=article&sort=newest").get_data(as_text=True)
    positions = [newest.index(f'id="c-{ids[k]}"') for k in ("b2", "b1", "c1", "a2", "a1")]
    assert positions == sorted(positions)
