"""The LTI 1.3 launch, tool side, with pylti1p3's Flask adapter: OIDC login initiation and
the resource-link launch. The launch records the learner (their LMS identity), the resource
link with its AGS endpoints, and lands on a page that starts the task with a session for
the learner."""

from __future__ import annotations

import html
import json
from typing import Any

import requests
from flask import Response, make_response, request
from pylti1p3.contrib.flask import (
    FlaskMessageLaunch,
    FlaskOIDCLogin,
    FlaskRequest,
    FlaskSessionService,
)
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.deployment import Deployment
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.lineitem import LineItem
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import select

from api import settings
from api.tokens import issue_tokens
from core import outbound as guarded_http
from storage import lti
from storage.db import db, utcnow
from storage.errors import Forbidden, Unauthorized, Unprocessable
from storage.models.lti import LtiPlatform
from storage.models.speech import SpeakingPrompt

# An LMS key set is a few keys; anything much larger is not one.
KEY_SET_LIMIT = 256 * 1024


class GuardedSession(requests.Session):
    """What pylti1p3 fetches the LMS's key set with: the platform's outbound client, which
    refuses private, loopback and link-local addresses (checked at connect time, so a name
    that resolves to one is refused too), follows no redirects and bounds time and size."""

    def get(self, url: str | bytes, **_: Any) -> requests.Response:  # type: ignore[override]
        target = url.decode() if isinstance(url, bytes) else url
        answer = guarded_http.request(
            "GET",
            target,
            None,
            {"Accept": "application/json"},
            allow_private=settings().webhook_allow_private_networks,
            body_limit=KEY_SET_LIMIT,
        )
        if answer.error:
            raise requests.ConnectionError(f"{answer.error}: {answer.detail}")
        response = requests.Response()
        response.status_code = answer.status or 0
        response._content = answer.body.encode("utf-8")
        response.headers.update(answer.headers)
        response.url = target
        return response


class DatabaseToolConf(ToolConfAbstract[FlaskRequest]):
    """The platform registrations of every organisation, as pylti1p3 asks for them."""

    def __init__(self) -> None:
        super().__init__()
        self.issuers_relation_types = {}

    def _platform(self, iss: str, client_id: str | None) -> LtiPlatform:
        platform = lti.find_platform(db.session, iss, client_id)
        if platform is None:
            raise LtiException(f"No platform registered for issuer {iss!r}")
        # Every issuer may have several client ids (one per organisation or deployment).
        self.set_iss_has_many_clients(iss)
        return platform

    def _registration(self, platform: LtiPlatform) -> Registration:
        key = lti.signing_key(db.session)
        return (
            Registration()
            .set_issuer(platform.issuer)
            .set_client_id(platform.client_id)
            .set_auth_login_url(platform.auth_login_url)
            .set_auth_token_url(platform.token_url)
            .set_key_set_url(platform.jwks_url)
            .set_tool_private_key(key.private_pem)
            .set_tool_public_key(lti.public_pem(key))
            .set_auth_audience(platform.token_audience)
        )

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        return self._registration(self._platform(iss, None))

    def find_registration_by_params(
        self, iss: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Registration:
        return self._registration(self._platform(iss, client_id))

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str | None, *args: Any, **kwargs: Any
    ) -> Deployment | None:
        platform = self._platform(iss, client_id)
        if platform.deployment_ids and deployment_id not in platform.deployment_ids:
            return None
        return Deployment().set_deployment_id(deployment_id)


class OneTimeNonces(FlaskSessionService):
    """The login's nonce opens one launch: a replayed id_token finds it gone."""

    def check_nonce(self, nonce: str) -> bool:
        key = self._get_key("nonce", nonce)
        found = super().check_nonce(nonce)
        if found:
            self.data_storage._request.session.pop(key, None)
            # The session is a cookie the client may send again: the nonce is spent on the
            # server too, as the OIDC core spec (section 3.1.2.7) asks of a nonce.
            found = lti.spend_nonce(db.session, nonce, utcnow())
        return found


def _launch_url() -> str:
    return settings().public_base_url.rstrip("/") + "/lti/launch"


def login() -> Response:
    """OIDC login initiation: redirect to the LMS's authorisation endpoint."""
    params = request.values
    target = params.get("target_link_uri") or _launch_url()
    try:
        return FlaskOIDCLogin(FlaskRequest(), DatabaseToolConf()).redirect(target)
    except (LtiException, OIDCException) as exc:
        raise Unauthorized(f"The LTI login was refused: {exc}", code="lti_login_refused") from None


def launch() -> Response:
    """Validate the id_token (signature against the LMS's keys, nonce, state, deployment),
    record the learner and the resource link, and answer the task page."""
    try:
        flask_request = FlaskRequest()
        message = FlaskMessageLaunch(
            flask_request,
            DatabaseToolConf(),
            session_service=OneTimeNonces(flask_request),
            requests_session=GuardedSession(),
        )
        claims = message.get_launch_data()
    except (LtiException, OIDCException) as exc:
        raise Unauthorized(
            f"The LTI launch was refused: {exc}", code="lti_launch_refused"
        ) from None
    if message.is_deep_link_launch():
        if not (message.check_teacher_access() or message.check_staff_access()):
            raise Forbidden(
                "Only instructors can place tasks in a course.", code="lti_instructor_required"
            )
        return make_response(_picker_page(message.get_launch_id()))
    if not message.is_resource_launch():
        raise Unprocessable(
            "Only resource-link and deep-linking launches are supported.",
            code="lti_unsupported_message",
        )
    platform = lti.find_platform(db.session, claims["iss"], message.get_client_id())
    if platform is None:
        raise Unauthorized("The platform is not registered.", code="lti_launch_refused")
    upserted, link = lti.record_launch(db.session, platform, claims)
    tokens = issue_tokens(upserted.user)
    db.session.commit()
    return make_response(_task_page(link, upserted.user.id, tokens["access_token"]))


WRITING_TASK = "writing"


def deep_link() -> Response:
    """Deep Linking: the instructor's choice, as a signed LtiDeepLinkingResponse form that
    goes back to the LMS; the placement carries the task as a custom parameter and asks for a
    line item."""
    launch_id, choice = request.form.get("launch_id", ""), request.form.get("task", "")
    flask_request = FlaskRequest()
    try:
        message = FlaskMessageLaunch.from_cache(
            launch_id,
            flask_request,
            DatabaseToolConf(),
            session_service=FlaskSessionService(flask_request),
            requests_session=GuardedSession(),
        )
    except (LtiException, OIDCException) as exc:
        raise Unauthorized(
            f"The deep-linking launch is not known: {exc}", code="lti_launch_refused"
        ) from None
    if not message.is_deep_link_launch():
        raise Unprocessable("This launch did not ask for content.", code="lti_not_deep_link")
    if choice == WRITING_TASK:
        title, custom = "Writing task", {"task_type": "writing_assessment"}
    else:
        prompt = db.session.get(SpeakingPrompt, choice)
        if prompt is None:
            raise Unprocessable(f"No speaking task {choice!r}.", code="prompt_not_found")
        title = f"Speaking ({prompt.language}, {prompt.level}): {prompt.topic}"
        custom = {"prompt_id": prompt.id, "task_type": "speaking_assessment"}
    item = (
        LineItem()
        .set_score_maximum(100)
        .set_label(title)
        .set_resource_id(custom.get("prompt_id", custom["task_type"]))
        .set_tag("cefr")
    )
    resource = (
        DeepLinkResource()
        .set_url(_launch_url())
        .set_title(title)
        .set_custom_params(custom)
        .set_lineitem(item)
    )
    return make_response(message.get_deep_link().output_response_form([resource]))


def _picker_page(launch_id: str) -> str:
    """The instructor picks a speaking task of the catalogue or a writing task."""
    prompts = db.session.scalars(
        select(SpeakingPrompt)
        .order_by(SpeakingPrompt.language, SpeakingPrompt.level, SpeakingPrompt.id)
        .limit(200)
    )
    options = [(WRITING_TASK, "Writing task (CEFR-assessed text)")] + [
        (p.id, f"Speaking {p.language} {p.level}: {p.topic} ({p.kind})") for p in prompts
    ]
    rows = "".join(
        f"<option value='{html.escape(value)}'>{html.escape(label)}</option>"
        for value, label in options
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Choose a task</title>"
        "</head><body><form method='post' action='/lti/deep-link'>"
        f"<input type='hidden' name='launch_id' value='{html.escape(launch_id)}'>"
        f"<select name='task'>{rows}</select><button>Add to course</button></form>"
        "</body></html>"
    )


def _task_page(link: Any, learner_id: str, access_token: str) -> str:
    """A page that starts the task: it names the task and hands the learner's session to
    the client that records and submits the answer."""
    task = {
        "learner_id": learner_id,
        "resource_link_id": link.resource_link_id,
        "prompt_id": link.prompt_id,
        "task_type": link.job_type or "speaking_assessment",
        "access_token": access_token,
    }
    title = html.escape(link.title or "Assessment")
    data = html.escape(json.dumps(task), quote=True)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><main id='task' data-task=\"{data}\"><h1>{title}</h1>"
        "<p>Record or write your answer; your result goes back to your course.</p>"
        "</main></body></html>"
    )
