"""Accounts created through the real API (register, invite, login)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from flask.testing import FlaskClient

_counter = itertools.count(1)
PASSWORD = "correct horse battery"


@dataclass
class Account:
    id: str
    email: str
    role: str
    organisation_id: str
    access_token: str
    refresh_token: str
    password: str = PASSWORD
    extra: dict = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


class Accounts:
    """`accounts.admin()` starts a new organisation; `accounts.member(admin, role)` joins it."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def admin(self, *, timezone: str = "UTC", name: str | None = None) -> Account:
        n = next(_counter)
        email = f"admin{n}@example.test"
        body = {
            "email": email,
            "password": PASSWORD,
            "name": name or f"Admin {n}",
            "organisation_name": f"Org {n}",
            "timezone": timezone,
        }
        response = self.client.post("/api/v1/auth/register", json=body)
        assert response.status_code == 201, response.get_json()
        data = response.get_json()
        return Account(
            id=data["user"]["id"],
            email=email,
            role="admin",
            organisation_id=data["user"]["organisation_id"],
            access_token=data["access_token"],
            refresh_token=data["refresh_token"],
        )

    def member(self, admin: Account, role: str = "learner", *, timezone: str = "UTC") -> Account:
        invite = self.client.post(
            "/api/v1/organisation/invites", json={"role": role}, headers=admin.headers
        )
        assert invite.status_code == 201, invite.get_json()
        n = next(_counter)
        email = f"{role}{n}@example.test"
        response = self.client.post(
            "/api/v1/auth/register",
            json={
                "email": email,
                "password": PASSWORD,
                "name": f"{role.title()} {n}",
                "invite_code": invite.get_json()["code"],
                "timezone": timezone,
            },
        )
        assert response.status_code == 201, response.get_json()
        data = response.get_json()
        return Account(
            id=data["user"]["id"],
            email=email,
            role=role,
            organisation_id=data["user"]["organisation_id"],
            access_token=data["access_token"],
            refresh_token=data["refresh_token"],
        )

    def api_key(self, admin: Account, scopes: list[str]) -> dict[str, str]:
        response = self.client.post(
            "/api/v1/api-keys", json={"name": "partner", "scopes": scopes}, headers=admin.headers
        )
        assert response.status_code == 201, response.get_json()
        return {"X-API-Key": response.get_json()["key"]}
