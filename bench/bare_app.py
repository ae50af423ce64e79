"""Reference for bench/intake: a bare Flask JSON endpoint on the same gunicorn settings."""

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

    @app.get("/healthz")
    def healthz():
        return jsonify({"status": "ok"})

    return app
