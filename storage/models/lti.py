"""LTI 1.3 Advantage, tool side: the LMS platforms registered by organisations, the tool's
signing keys, the resource links learners were launched from, and who launched which."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import EncryptedString, JSONType, db
from storage.models.base import CreatedMixin, TenantMixin


class LtiPlatform(TenantMixin, CreatedMixin, db.Model):
    """One LMS registration: what the LMS's admin typed into the tool's registration, and
    what the tool needs to reach the LMS's services."""

    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    deployment_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # The LMS's OIDC authorisation endpoint, token endpoint and key set.
    auth_login_url: Mapped[str] = mapped_column(Text)
    token_url: Mapped[str] = mapped_column(Text)
    jwks_url: Mapped[str] = mapped_column(Text)
    # `aud` of the client assertion when the LMS wants another than its token URL.
    token_audience: Mapped[str | None] = mapped_column(Text)
    # The last access token of the client-credentials grant, reused until it expires.
    access_token: Mapped[str | None] = mapped_column(EncryptedString())
    access_token_scope: Mapped[str | None] = mapped_column(Text)
    access_token_expires_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]


class LtiKey(CreatedMixin, db.Model):
    """A signing key of the tool (client assertions, deep-linking responses). The newest
    active key signs; retired keys stay in the JWKS for a grace period so tokens signed just
    before a rotation still verify."""

    __tablename__ = "lti_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_pem: Mapped[str] = mapped_column(EncryptedString())
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONType)
    retired_at: Mapped[datetime | None]


class LtiResourceLink(TenantMixin, CreatedMixin, db.Model):
    """A placement of a task in an LMS course, with the AGS endpoints the launch gave."""

    __tablename__ = "lti_resource_links"
    __table_args__ = (UniqueConstraint("platform_id", "resource_link_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    platform_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("lti_platforms.id", ondelete="CASCADE"), index=True
    )
    resource_link_id: Mapped[str] = mapped_column(String(255))
    context_id: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(500))
    # The task placed: a speaking prompt, or a kind of assessment.
    prompt_id: Mapped[str | None] = mapped_column(String(64))
    job_type: Mapped[str | None] = mapped_column(String(64))
    lineitems_url: Mapped[str | None] = mapped_column(Text)
    # The line item scores go to: given by the launch, or found / created by the tool.
    lineitem_url: Mapped[str | None] = mapped_column(Text)
    ags_scopes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    memberships_url: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime | None]


class LtiLaunch(TenantMixin, CreatedMixin, db.Model):
    """A learner launched from a resource link: their assessments of its task are graded
    back to it."""

    __tablename__ = "lti_launches"
    __table_args__ = (UniqueConstraint("user_id", "link_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    link_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("lti_resource_links.id", ondelete="CASCADE"), index=True
    )
    last_launched_at: Mapped[datetime]


class LtiNonce(db.Model):
    """A launch's nonce, spent: an id_token whose nonce is here opens no second session,
    whatever cookies come with it (pylti1p3 keeps the nonce in the browser's session cookie,
    which a replay can send again). Only its SHA-256 is kept; rows go once expired."""

    __tablename__ = "lti_nonces"

    nonce_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
