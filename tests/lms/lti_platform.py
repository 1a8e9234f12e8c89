"""A test LMS on loopback: an LTI 1.3 platform built on the `lti1p3platform` library, served
over HTTP. It issues launch messages, grants access tokens for client assertions it verifies
against the tool's JWKS (fetched over HTTP), and keeps a gradebook of line items and scores
through the library's AGS service."""

from __future__ import annotations

import itertools
import json
import threading
import typing as t
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, Response, request
from lti1p3platform.exceptions import LineItemNotFoundException, LtiException
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.membership import Context
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import (
    AssignmentsGradesService,
    NamesRoleProvisioningService,
)
from werkzeug.serving import make_server

CLIENT_ID = "tool-client-1"
DEPLOYMENT_ID = "deployment-1"
LEARNER_ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR_ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


def _pem_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


class FlaskRequest(Request):
    def build_metadata(self, req: t.Any) -> dict:
        return {
            "method": req.method,
            "form_data": req.form.to_dict(),
            "get_data": req.args.to_dict(),
            "headers": req.headers,
            "content_type": req.content_type,
            "path": req.path,
            "json": req.get_json(silent=True),
        }


@dataclass
class Gradebook:
    lineitems: dict[str, dict] = field(default_factory=dict)
    scores: dict[str, list[dict]] = field(default_factory=dict)
    token_requests: int = 0
    fail_tokens: list[int] = field(default_factory=list)
    fail_scores: list[int] = field(default_factory=list)


class LmsPlatform:
    """`start(tool_jwks_url)`, then `platform.url`, `launch_claims(...)`, `gradebook`."""

    def __init__(self) -> None:
        self.private_pem, self.public_pem = _pem_pair()
        self.gradebook = Gradebook()
        self._ids = itertools.count(1)
        self.tool_jwks_url = ""
        self.tool_launch_url = "http://tool.invalid/lti/launch"
        # What the next launch of each user (by login_hint) carries.
        self.pending: dict[str, dict[str, t.Any]] = {}
        # Content items the tool placed through Deep Linking, as the library validated them.
        self.placements: list[dict[str, t.Any]] = []
        # The course's members, as the NRPS service lists them.
        self.members: list[dict[str, t.Any]] = []
        self.app = self._build_app()
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self, tool_url: str) -> LmsPlatform:
        self.tool_jwks_url = f"{tool_url}/.well-known/jwks.json"
        self.tool_launch_url = f"{tool_url}/lti/launch"
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    # The library's platform configuration ----------------------------------------------

    def config(self) -> LTI1P3PlatformConfAbstract:
        outer = self

        class Config(LTI1P3PlatformConfAbstract):
            def init_platform_config(self, **kwargs: t.Any) -> None:
                pass

            def get_registration_by_params(self, **kwargs: t.Any) -> Registration:
                return (
                    Registration()
                    .set_iss(outer.url)
                    .set_client_id(CLIENT_ID)
                    .set_deployment_id(DEPLOYMENT_ID)
                    .set_launch_url(outer.tool_launch_url)
                    .set_deeplink_launch_url(outer.tool_launch_url)
                    .set_oidc_login_url(outer.tool_launch_url.replace("launch", "login"))
                    .set_platform_private_key(outer.private_pem)
                    .set_platform_public_key(outer.public_pem)
                    .set_tool_key_set_url(outer.tool_jwks_url)
                )

        config = Config()
        config.get_registration()
        return config

    def _launch(
        self,
        req: t.Any,
        *,
        sub: str,
        resource_link_id: str = "",
        title: str = "",
        custom: dict[str, str] | None = None,
        name: str = "Ana Ruiz",
        deep_link: bool = False,
        instructor: bool | None = None,
    ) -> t.Any:
        outer = self

        class Launch(LTIAdvantageMessageLaunchAbstract):
            def get_preflight_response(self) -> dict:
                return self._request.get_data if self._request is not None else {}

            def render_launch_form(self, launch_data: dict, **kwargs: t.Any) -> t.Any:
                return launch_data

        launch = Launch(req, self.config())
        launch._registration = launch._platform_config.get_registration()
        teaches = deep_link if instructor is None else instructor
        launch.set_user_data(sub, [INSTRUCTOR_ROLE if teaches else LEARNER_ROLE], full_name=name)
        launch.set_launch_context_claim("course-7", context_title="Spanish B1")
        if deep_link:
            launch.set_dl(
                f"{outer.url}/deep-link-return",
                title="Add a task",
                accept_types={"ltiResourceLink"},
            )
            return launch
        launch.set_resource_link_claim(resource_link_id, title=title)
        launch.set_custom_parameters_claim(custom or {})
        launch.set_ags(
            lineitems_url=f"{outer.url}/api/lti/courses/7/lineitems", allow_creating_lineitems=True
        )
        launch.set_nrps(f"{outer.url}/api/lti/courses/7/memberships")
        return launch

    def launch_claims(self, **launch: t.Any) -> dict[str, t.Any]:
        """The claims of a resource-link launch the library builds (AGS and NRPS claims
        included), as the tool reads them from the verified id_token."""
        return self._launch(None, **launch).get_launch_message()

    def login_initiation(self, *, login_hint: str, **launch: t.Any) -> dict[str, str]:
        """What the LMS sends the tool's login URL to start a launch of `login_hint`."""
        self.pending[login_hint] = launch
        return {
            "iss": self.url,
            "client_id": CLIENT_ID,
            "login_hint": login_hint,
            "lti_message_hint": launch.get("resource_link_id", "deep-link"),
            "target_link_uri": self.tool_launch_url,
            "lti_deployment_id": DEPLOYMENT_ID,
        }

    # HTTP --------------------------------------------------------------------------------

    def _build_app(self) -> Flask:
        app = Flask("test-lms")
        outer = self
        book = self.gradebook

        class Ags(AssignmentsGradesService):
            def find_lineitems(
                self,
                page: int = 1,
                limit: int | None = None,
                line_item_id: str | None = None,
                resource_link_id: str | None = None,
                resource_id: str | None = None,
                tag: str | None = None,
            ) -> dict:
                items = [
                    i
                    for i in book.lineitems.values()
                    if resource_link_id is None or i["resourceLinkId"] == resource_link_id
                ]
                return {"content": items, "has_next": False, "next": None}

            def find_lineitem(self, line_item_id: str) -> dict:
                if line_item_id not in book.lineitems:
                    raise LineItemNotFoundException()
                return book.lineitems[line_item_id]

            def create_lineitem(self, creation_data: dict) -> dict:
                number = str(next(outer._ids))
                item = {**creation_data, "id": f"{outer.url}/api/lti/courses/7/lineitems/{number}"}
                book.lineitems[number] = item
                return item

            def update_lineitem(self, update_data: dict) -> dict:
                number = update_data["id"].rsplit("/", 1)[-1]
                if number not in book.lineitems:
                    raise LineItemNotFoundException()
                book.lineitems[number] = {**book.lineitems[number], **update_data}
                return book.lineitems[number]

            def delete_lineitem(self, line_item_id: str) -> None:
                book.lineitems.pop(line_item_id, None)

            def update_score(self, line_item_id: str, score: dict) -> UpdateScoreStatus:
                if line_item_id not in book.lineitems:
                    raise LineItemNotFoundException()
                book.scores.setdefault(line_item_id, []).append(score)
                return UpdateScoreStatus.SUCCESS

            def get_results(
                self,
                line_item_id: str,
                page: int = 1,
                limit: int | None = None,
                user_id: str | None = None,
            ) -> dict:
                return {"content": [], "has_next": False, "next": None}

        def answer(resp: t.Any) -> Response:
            body = "" if resp.result is None else json.dumps(resp.result)
            if resp.code >= 400:
                body = json.dumps({"error": resp.message})
            return Response(body, status=resp.code, mimetype=resp.media_type)

        def service() -> Ags:
            return Ags(
                FlaskRequest(request), outer.config(), f"{outer.url}/api/lti/courses/7/lineitems"
            )

        @app.get("/jwks")
        def jwks() -> Response:
            return Response(json.dumps(outer.config().get_jwks()), mimetype="application/json")

        @app.get("/auth")
        def auth() -> Response:
            """The OIDC authorisation endpoint: checks the tool's request and answers the
            auto-submitted form's fields (id_token, state) and where they go."""
            hint = request.args.get("login_hint", "")
            if hint not in outer.pending:
                return Response("{}", status=403)
            launch = outer._launch(FlaskRequest(request), **outer.pending[hint])
            try:
                data = launch.lti_launch()
            except Exception as exc:  # the library's preflight checks
                return Response(json.dumps({"error": str(exc)}), status=400)
            return Response(json.dumps(data), mimetype="application/json")

        class Roster(NamesRoleProvisioningService):
            def get_member_data_page(
                self,
                page: int = 1,
                limit: int | None = None,
                role: str | None = None,
                since: str | None = None,
                **kwargs: t.Any,
            ) -> dict:
                return {
                    "content": [dict(m) for m in outer.members],
                    "has_next": False,
                    "next": None,
                }

            def get_context_by_id(self) -> Context:
                return Context(id="course-7", label="ES-B1", title="Spanish B1")

        @app.get("/api/lti/courses/7/memberships")
        def memberships() -> Response:
            svc = Roster(
                FlaskRequest(request), outer.config(), f"{outer.url}/api/lti/courses/7/memberships"
            )
            return answer(svc.handle_resp(svc.handle_get_members))

        @app.post("/deep-link-return")
        def deep_link_return() -> Response:
            config = outer.config()
            try:
                items = config.validate_deeplinking_resp({"JWT": request.form["JWT"]})
            except Exception as exc:
                return Response(json.dumps({"error": str(exc)}), status=400)
            outer.placements.extend(items)
            return Response(json.dumps(items), mimetype="application/json")

        @app.post("/token")
        def token() -> Response:
            book.token_requests += 1
            if book.fail_tokens:
                return Response("{}", status=book.fail_tokens.pop(0))
            try:
                granted = outer.config().get_access_token(request.form.to_dict())
            except (LtiException, AssertionError, Exception) as exc:  # noqa: B014
                return Response(
                    json.dumps({"error": "invalid_client", "error_description": str(exc)}),
                    status=400,
                    mimetype="application/json",
                )
            return Response(json.dumps(granted), mimetype="application/json")

        @app.route("/api/lti/courses/7/lineitems", methods=["GET", "POST"])
        def lineitems() -> Response:
            svc = service()
            if request.method == "GET":
                return answer(svc.handle_resp(svc.handle_get_lineitems))
            return answer(svc.handle_resp(svc.handle_create_lineitem))

        @app.post("/api/lti/courses/7/lineitems/<item>/scores")
        def scores(item: str) -> Response:
            if book.fail_scores:
                return Response("{}", status=book.fail_scores.pop(0))
            if request.content_type != "application/vnd.ims.lis.v1.score+json":
                return Response("{}", status=415)
            svc = service()
            return answer(svc.handle_resp(svc.handle_update_score, line_item_id=item))

        return app
