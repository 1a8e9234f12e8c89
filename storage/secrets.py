"""Re-encrypting the secrets stored encrypted: after a key rotation, or for rows written
before encryption at rest."""

from __future__ import annotations

from sqlalchemy import Column, String, func, select, type_coerce, update
from sqlalchemy.orm import Session

from core.crypto import PREFIX, SecretBox
from storage.models.lti import LtiKey, LtiPlatform
from storage.models.mail import OutboundMail
from storage.models.oidc import OidcLogin, OidcProvider
from storage.models.webhooks import CallbackSecret, WebhookEndpoint

ENCRYPTED_COLUMNS: tuple[Column, ...] = (
    WebhookEndpoint.__table__.c.secret,
    WebhookEndpoint.__table__.c.previous_secret,
    WebhookEndpoint.__table__.c.lrs_credentials,
    CallbackSecret.__table__.c.secret,
    CallbackSecret.__table__.c.previous_secret,
    LtiKey.__table__.c.private_pem,
    LtiPlatform.__table__.c.access_token,
    OutboundMail.__table__.c.message,  # mail not yet sent: it carries a link or a code
    OidcProvider.__table__.c.client_secret,
    OidcLogin.__table__.c.code_verifier,
)


def reencrypt_all(session: Session, box: SecretBox, batch: int = 500) -> dict[str, int]:
    """Rewrite every stored secret not under the box's current key; returns counts per
    column. Raises core.crypto.SecretUnreadable when a value opens with no key."""
    counts: dict[str, int] = {}
    for column in ENCRYPTED_COLUMNS:
        table = column.table
        (key,) = table.primary_key.columns
        raw = type_coerce(column, String)  # the stored text, not decrypted
        done = 0
        after = None
        while True:
            stmt = select(key, raw).where(column.is_not(None)).order_by(key).limit(batch)
            if after is not None:
                stmt = stmt.where(key > after)
            rows = session.execute(stmt).all()
            if not rows:
                break
            for row_key, stored in rows:
                if not box.is_current(stored):
                    session.execute(
                        update(table)
                        .where(key == row_key)
                        .values({column.name: box.encrypt(box.decrypt(stored))})
                    )
                    done += 1
            after = rows[-1][0]
        counts[f"{table.name}.{column.name}"] = done
    return counts


KEY_ID_LENGTH = 8  # core.crypto.key_id


def unknown_key_ids(session: Session, box: SecretBox) -> set[str]:
    """The ids of keys that sealed stored secrets but are not configured: non-empty after
    SECRET_KEY (or ENCRYPTION_KEYS) was rotated without keeping the old key, when every
    read of such a secret fails. One small query per column, first match only."""
    unknown: set[str] = set()
    for column in ENCRYPTED_COLUMNS:
        raw = type_coerce(column, String)
        kid = func.substr(raw, len(PREFIX) + 1, KEY_ID_LENGTH)
        found = session.scalar(
            select(kid).where(raw.like(f"{PREFIX}%"), kid.not_in(sorted(box.key_ids))).limit(1)
        )
        if found:
            unknown.add(found)
    return unknown
