"""The teacher console: server-rendered pages with a little vanilla JS (static/console.js)
that calls the JSON API with the signed-in teacher's token. No build step: the assets are
plain files served from this package."""

from __future__ import annotations

from flask import Blueprint, render_template

blp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
                static_folder="static", static_url_path="/static")


@blp.get("")
@blp.get("/")
def index():
    """Sign in, then the teacher's classes."""
    return render_template("console/index.html")


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
