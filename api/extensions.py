"""Extensions created once at import time and bound to an app by `create_app`."""

from __future__ import annotations

from flask_jwt_extended import JWTManager
from flask_migrate import Migrate
from flask_smorest import Api as SmorestApi
from flask_smorest.spec import prepare_response

from api.errors import PROBLEM_MIME, ProblemSchema
from storage.db import db

__all__ = ["api", "db", "jwt", "migrate"]


class Api(SmorestApi):
    """flask-smorest's Api, documenting every error as application/problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        import http

        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304) and status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                prepare_response(response, self.spec, PROBLEM_MIME)
            elif not (100 <= status < 200) and status not in (204, 304):
                prepare_response(response, self.spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Error (application/problem+json)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_MIME)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def _register_error_handlers(self) -> None:
        # api.errors registers the platform's own handlers for every error.
        return None


api = Api()
jwt = JWTManager()
migrate = Migrate()
