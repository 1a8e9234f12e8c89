"""What a conversation partner is given and what it answers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from core.levels import CEFR_LEVELS

LEVELS = CEFR_LEVELS


@dataclass(frozen=True)
class Turn:
    role: str  # "learner" or "partner"
    text: str


@dataclass(frozen=True)
class ConversationContext:
    language: str
    level: str
    scenario: str | None = None
    topic: str | None = None
    persona: str | None = None
    history: tuple[Turn, ...] = ()
    state: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PartnerReply:
    text: str
    partner: str  # "scenario" or "llm"
    state: dict[str, Any]
    ended: bool = False
    intent: str | None = None
    match_score: float | None = None
    correction: dict[str, Any] | None = None
    follow_up: str | None = None
    provider: str | None = None
    model: str | None = None
    prompt_version: str | None = None
    level_check: dict[str, Any] | None = None
    usage: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Partner(Protocol):
    name: str

    def reply(
        self,
        context: ConversationContext,
        learner_text: str | None,
        *,
        other_language: str | None = None,
    ) -> PartnerReply:
        """The partner's next line: the opening when `learner_text` is None. With
        `other_language`, the learner spoke another language than the session's."""
