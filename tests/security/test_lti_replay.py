"""Second probe of row 1 (single-use things): an LTI launch's id_token opens one session,
even when it is posted again with the cookies the browser had before the first launch (the
nonce must not live only in a cookie the client can send again)."""

from __future__ import annotations

import requests

from tests.lms.test_lms_lti_ags import _register, lms, tool_url  # noqa: F401  (fixtures)


def test_a_replayed_launch_with_the_earlier_cookies_is_refused(app, client, accounts, lms):  # noqa: F811
    # Given a registered LMS and a launch the browser completed once
    admin = accounts.admin()
    _register(client, admin, lms)
    start = lms.login_initiation(
        login_hint="lms-user-9",
        sub="lms-user-9",
        name="Ida",
        resource_link_id="rl-9",
        title="Writing",
        custom={"task_type": "writing_assessment"},
    )
    login = client.get("/lti/login", query_string=start)
    assert login.status_code == 302, login.get_data(as_text=True)
    saved = [(c.key, c.value, c.domain, c.path) for c in client._cookies.values()]
    form = requests.get(login.headers["Location"], timeout=10).json()
    body = {"id_token": form["id_token"], "state": form["state"]}
    first = client.post("/lti/launch", data=body)
    assert first.status_code == 200, first.get_data(as_text=True)
    # When the same id_token is posted again with the cookies from before the launch
    replay = app.test_client()
    for key, value, domain, path in saved:
        replay.set_cookie(key, value, domain=domain, path=path)
    again = replay.post("/lti/launch", data=body)
    # Then it is refused: the nonce was spent on the server, not only in the cookie
    assert again.status_code == 401, again.get_data(as_text=True)[:300]
    assert again.get_json()["code"] == "lti_launch_refused"
