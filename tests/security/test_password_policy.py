"""The password policy: guessable passwords are refused with advice; the length messages say
which bound was crossed."""

from __future__ import annotations

import pytest

from tests.api.apihelpers import assert_problem
from tests.factories import PASSWORD


@pytest.mark.parametrize(
    "password", ["password", "12345678", " " * 8, "aaaaaaaaaaaa", "qwertyuiop", "iloveyou123"]
)
def test_guessable_passwords_are_refused_at_registration(client, password):
    answer = client.post(
        "/api/v1/auth/register",
        json={"email": "weak@example.test", "password": password, "name": "Weak"},
    )
    problem = assert_problem(answer, 422, "weak_password")
    assert problem["errors"]["password"]


def test_a_password_made_of_the_users_own_email_is_refused(client):
    answer = client.post(
        "/api/v1/auth/register",
        json={
            "email": "margarethamilton@example.test",
            "password": "margarethamilton1",
            "name": "Margaret Hamilton",
        },
    )
    assert_problem(answer, 422, "weak_password")


def test_length_messages_name_the_bound(client):
    too_long = client.post(
        "/api/v1/auth/register",
        json={"email": "long@example.test", "password": "x" * 257, "name": "Long"},
    )
    problem = assert_problem(too_long, 422, "validation_error")
    assert problem["errors"]["password"] == ["Use at most 256 characters."]
    too_short = client.post(
        "/api/v1/auth/register",
        json={"email": "short@example.test", "password": "x" * 7, "name": "Short"},
    )
    assert assert_problem(too_short, 422, "validation_error")["errors"]["password"] == [
        "Use at least 8 characters."
    ]


def test_a_strong_long_password_is_accepted_and_a_weak_new_one_refused(client, accounts):
    answer = client.post(
        "/api/v1/auth/register",
        json={
            "email": "strong@example.test",
            "password": "tangerine kettle orbit " * 10,
            "name": "Strong",
        },
    )
    assert answer.status_code == 201, answer.get_json()
    user = accounts.admin()
    weak = client.post(
        "/api/v1/auth/password",
        headers=user.headers,
        json={"current_password": PASSWORD, "new_password": "password1"},
    )
    assert_problem(weak, 422, "weak_password")


@pytest.mark.parametrize("password", ["ada.byron@example.test", "Ada.Byron@Example.test"])
def test_a_password_that_is_the_users_email_is_refused(client, password):
    # Given a registration whose password is the account's own email (a second probe of
    # row 15 found the email was only known to the policy cut into its words)
    answer = client.post(
        "/api/v1/auth/register",
        json={"email": "ada.byron@example.test", "password": password, "name": "Ada"},
    )
    # Then it is refused as guessable
    assert_problem(answer, 422, "weak_password")
