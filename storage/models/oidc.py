"""OpenID Connect sign-in: an organisation's identity providers, and sign-ins in flight."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import EncryptedString, db
from storage.models.base import CreatedMixin, TenantMixin


class OidcProvider(TenantMixin, CreatedMixin, db.Model):
    """An identity provider members of the organisation may sign in with (Google, Microsoft
    Entra ID, Keycloak, any OpenID Connect issuer); its client secret is stored encrypted."""

    __tablename__ = "oidc_providers"
    __table_args__ = (
        UniqueConstraint("organisation_id", "name", name="uq_oidc_providers_organisation_name"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(500))
    client_secret: Mapped[str | None] = mapped_column(EncryptedString())
    scopes: Mapped[str] = mapped_column(String(500), default="openid email profile")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime | None]


class OidcLogin(TenantMixin, db.Model):
    """One authorization request in flight: its state (kept as a SHA-256 only), the nonce
    the ID token must carry and the PKCE verifier. Used once, within minutes."""

    __tablename__ = "oidc_logins"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("oidc_providers.id", ondelete="CASCADE"), index=True
    )
    nonce: Mapped[str] = mapped_column(String(128))
    code_verifier: Mapped[str] = mapped_column(EncryptedString())
    redirect_uri: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
