"""The widget's files as served: small, versioned, cached, self-contained and CSP-friendly."""

from __future__ import annotations

import gzip
import re

from mizan.service.publishing.widget import assets


def test_embed_js_is_small_and_points_at_its_versioned_stylesheet(client):
    resp = client.get("/embed.js")
    assert resp.status_code == 200 and resp.mimetype == "text/javascript"
    body = resp.get_data()
    assert len(gzip.compress(body, 9)) < 20 * 1024
    version = assets().version
    assert b"__MIZAN_VERSION__" not in body and version.encode() in body
    # The pasted address is revalidated soon; the versioned files never change.
    assert resp.headers["Cache-Control"] == "public, max-age=300"
    again = client.get("/embed.js", headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304
    css = client.get(f"/embed/{version}/embed.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert "immutable" in css.headers["Cache-Control"]
    js = client.get(f"/embed/{version}/embed.js")
    assert "immutable" in js.headers["Cache-Control"] and js.get_data() == body
    stale = client.get("/embed/000000000000/embed.css")
    assert stale.status_code == 200 and "immutable" not in stale.headers["Cache-Control"]


def test_widget_source_keeps_the_safety_rules():
    js = assets().js.decode()
    # Reader text only ever goes in as text; no inline style that a strict CSP would block.
    for banned in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        ".style",
        "eval(",
        "new Function",
    ):
        assert banned not in js, banned
    # No request to anyone but Mizan: no absolute URL in the code at all.
    assert re.findall(r"https?://[A-Za-z0-9]", js.split("*/", 1)[1]) == []
    assert 'rel: "nofollow ugc noopener"' in js
