"""Every blueprint of the API, registered from this one list."""

from __future__ import annotations

from importlib import import_module

from flask import Flask
from flask_smorest import Api

from api.security import SECURITY_SCHEMES
from api.speech.schemas import RESULT_SCHEMAS

# Resource packages documented in the OpenAPI document (each has routes.py with `blp`).
RESOURCES = [
    "api.auth",
    "api.organisation",
    "api.apikeys",
    "api.jobs",
    "api.admin",
    "api.audit",
    "api.retention",
    "api.erasure",
    "api.learner_export",
    "api.usage",
    "api.oidc",
    "api.media",
    "api.learning",
    "api.webhooks",
    "api.writing",
    "api.hints",
    "api.plans",
    "api.speech",
    "api.synthesis",
    "api.conversations",
    "api.learners",
    "api.lti",
    "api.classes",
    "api.assignments",
    "api.batches",
    "api.courses",
    "api.chapters",
    "api.lessons",
    "api.exercises",
    "api.search",
    "api.progress",
    "api.badges",
    "api.recommendations",
]


def register_resources(app: Flask, api: Api) -> None:
    for name, scheme in SECURITY_SCHEMES.items():
        if name not in api.spec.components.security_schemes:
            api.spec.components.security_scheme(name, scheme)
    for name, schema in RESULT_SCHEMAS.items():
        if name not in api.spec.components.schemas:
            api.spec.components.schema(name, schema=schema)
    for package in RESOURCES:
        api.register_blueprint(import_module(f"{package}.routes").blp)
    from api.console.routes import blp as console
    from api.system.routes import blp as system

    app.register_blueprint(system)
    app.register_blueprint(console)
