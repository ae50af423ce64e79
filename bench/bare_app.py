"""Reference for bench/intake and bench/akismet: bare Flask endpoints on the same gunicorn
settings (a JSON intake, and a form comment-check that answers without deciding)."""

from __future__ import annotations

import secrets

from flask import Flask, jsonify, request


def create_app() -> Flask:
    app = Flask("bare")

    @app.post("/api/v1/comments")
    def comments():
        data = request.get_json()
        cid = secrets.token_urlsafe(12)
        resp = jsonify({"id": cid, "status": "pending", "status_url": f"/x/{cid}", "n": len(data)})
        resp.status_code = 202
        return resp

    @app.post("/1.1/comment-check")
    def comment_check():
        # Reference for bench/akismet: parse the form, answer as Akismet does.
        form = request.form
        return (
            ("true" if "http" in form.get("comment_content", "") else "false"),
            200,
            {
                "Content-Type": "text/plain; charset=utf-8",
                "X-akismet-guid": secrets.token_urlsafe(18),
            },
        )

    @app.get("/healthz")
    def healthz():
        return jsonify({"status": "ok"})

    return app
