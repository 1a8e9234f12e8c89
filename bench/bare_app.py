"""Baseline of the API submission benchmark: a bare Flask app with one JSON endpoint on the
same path, served by gunicorn with the same settings as the platform. It parses the JSON body
and answers 202 with a small JSON document, and does nothing else (no auth, no database)."""

from __future__ import annotations

import uuid

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/api/v1/jobs/ping")
def ping():  # type: ignore[no-untyped-def]
    body = request.get_json()
    return jsonify(
        {"id": f"job_{uuid.uuid4().hex}", "type": "ping", "status": "queued", "input": body}
    ), 202
