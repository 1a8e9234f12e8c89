"""The teacher console: server-rendered pages with a little vanilla JS (static/console.js)
that calls the JSON API with the signed-in teacher's token. No build step: the assets are
plain files served from this package."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from marshmallow import ValidationError

from api.oidc.routes import complete_sign_in
from api.oidc.schemas import CONSOLE, CallbackArgs
from storage import oidc
from storage.db import db
from storage.errors import AppError

blp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@blp.get("")
@blp.get("/")
def index():
    """Sign in, then the teacher's classes. `?organisation=<id>` (the school's console link)
    adds a "Sign in with <provider>" button for each of its OpenID Connect providers."""
    organisation_id = request.args.get("organisation", "")[:64]
    providers = oidc.sign_in_providers(db.session, organisation_id) if organisation_id else []
    return render_template("console/index.html", providers=providers)


@blp.get("/oidc/callback")
def oidc_callback():
    """Back from the provider: sign the console in with the linked account, or say why not."""
    try:
        args = CallbackArgs().load(request.args)
        token = complete_sign_in(args, CONSOLE)["access_token"]
        page, status = render_template("console/oidc.html", token=token), 200
    except ValidationError:
        page, status = (
            render_template("console/oidc.html", problem="The provider's answer was incomplete."),
            422,
        )
    except AppError as exc:
        page, status = render_template("console/oidc.html", problem=exc.message), exc.status
    # The page holds a token: never cached, never sent on as a referrer.
    return page, status, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@blp.get("/reset-password")
def reset_password():
    """Set a new password with the token of a reset mail (read from the link's fragment)."""
    return render_template("console/reset.html")


@blp.get("/register")
def register():
    """Create an account with the code of an invitation mail (read from the link's fragment)."""
    return render_template("console/register.html")


@blp.get("/classes/<class_id>")
def school_class(class_id: str):
    """A class: its learners and its assignments."""
    return render_template("console/class.html", class_id=class_id)


@blp.get("/assignments/<assignment_id>")
def assignment(assignment_id: str):
    """An assignment: upload, batch progress, results, review and export."""
    return render_template("console/assignment.html", assignment_id=assignment_id)
