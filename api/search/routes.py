"""Search across courses, chapters, lessons and the vocabulary (full-text, ranked, with
highlights); the reference design's /search, /search/courses and /search/chapters."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api.search.schemas import SearchArgs, SearchResponseSchema
from api.security import ANY_ROLE, auth_required, current_principal
from storage.content import search
from storage.db import db

blp = Blueprint(
    "search",
    __name__,
    url_prefix="/api/v1/search",
    description="Full-text search over the organisation's learning content.",
)


def _search(args: dict, kinds: tuple[str, ...]) -> dict:
    principal = current_principal()
    hits = search.search(
        db.session,
        principal.organisation_id,
        args["q"],
        kinds=kinds,
        staff=principal.is_staff(),
        language=args.get("language"),
        limit=args["limit"],
    )
    return {"query": args["q"], "count": len(hits), "results": hits}


@blp.route("")
class SearchAll(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.arguments(SearchArgs, location="query")
    @blp.response(200, SearchResponseSchema)
    def get(self, args: dict):
        """Search courses, chapters, lessons and vocabulary together, best first."""
        return _search(args, search.KINDS)


def _one_kind(kind: str, summary: str) -> type[MethodView]:
    class View(MethodView):
        @auth_required(ANY_ROLE, scope="learning:read")
        @blp.arguments(SearchArgs, location="query")
        @blp.response(200, SearchResponseSchema)
        def get(self, args: dict):
            return _search(args, (kind,))

    View.get.__doc__ = summary
    View.__name__ = f"Search{kind.title()}s"
    return View


for _kind, _summary in (
    ("course", "Search courses."),
    ("chapter", "Search chapters."),
    ("lesson", "Search lessons."),
    ("word", "Search the vocabulary."),
):
    blp.route(f"/{_kind}s")(_one_kind(_kind, _summary))
