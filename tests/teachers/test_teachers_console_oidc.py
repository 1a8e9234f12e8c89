"""The teacher console's "Sign in with <provider>" in headless Chromium, against a real
OpenID provider (oidc-provider-mock) on loopback: the school's console link shows the
button, the provider's page signs the teacher in, and the browser comes back to the
console signed in, with no token left in the address bar or history."""

from __future__ import annotations

import pytest

from tests.oidc.test_oidc_sign_in import configure, provider, set_user  # noqa: F401
from tests.teachers.test_teachers_console import (  # noqa: F401
    accessibility_problems,
    browser,
    console,
    console_app,
)

selenium = pytest.importorskip("selenium")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from tests.teachers.test_teachers_console import CHROMIUM, DRIVER  # noqa: E402

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER), reason="needs Debian's chromium and chromium-driver"
)


def test_a_teacher_signs_in_to_the_console_with_the_schools_provider(
    console_app,  # noqa: F811  (fixtures imported from their modules)
    browser,  # noqa: F811
    accounts,
    provider,  # noqa: F811
):
    base, live = console_app
    c = live.test_client()
    # Given a school whose admin configured its provider, and a teacher it knows
    admin = accounts.admin()
    teacher = accounts.member(admin, "teacher")
    configure(c, admin, provider, "school-idp")
    set_user(provider, "idp-teacher", email=teacher.email, email_verified=True)
    wait = WebDriverWait(browser, 30)

    # When the teacher opens the school's console link
    browser.get(f"{base}/console/?organisation={admin.organisation_id}")
    button = wait.until(ec.element_to_be_clickable((By.LINK_TEXT, "Sign in with school-idp")))
    assert accessibility_problems(browser) == []
    # And signs in at the provider
    button.click()
    wait.until(ec.url_contains(f"{provider}/oauth2/authorize"))
    browser.find_element(By.NAME, "sub").send_keys("idp-teacher")
    browser.find_element(By.XPATH, "//button[text()='Authorize']").click()

    # Then the console shows the teacher's classes, signed in
    wait.until(ec.visibility_of_element_located((By.ID, "classes")))
    assert browser.current_url.rstrip("/") == f"{base}/console"
    token = browser.execute_script("return sessionStorage.getItem('console.token')")
    me = c.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.get_json()["id"] == teacher.id
    # And the page that carried the token is not in the history (it was replaced)
    browser.back()
    assert "/console/oidc/callback" not in browser.current_url
