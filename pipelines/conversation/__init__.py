"""Conversation practice: a partner that answers the learner's turns at their level.

partner = build_partner("scenario")            # offline dialogue scripts
partner = build_partner("llm", llm=provider)   # an LLM with the conversation prompt
reply = partner.reply(ConversationContext("en", "A2", scenario="directions"), "Hi!")
"""

from __future__ import annotations

from pipelines.conversation import scenarios
from pipelines.conversation.level import other_language, vocabulary_check
from pipelines.conversation.llm_partner import LLMPartner
from pipelines.conversation.scenarios import ScenarioPartner
from pipelines.conversation.types import (
    LEVELS,
    ConversationContext,
    Partner,
    PartnerReply,
    Turn,
)
from pipelines.llm import LLMProvider


def build_partner(
    name: str, *, llm: LLMProvider | None = None, scenario_title: str | None = None
) -> Partner:
    if name == "llm":
        if llm is None:
            raise ValueError("the llm partner needs an LLM provider")
        return LLMPartner(llm, scenario_title)
    return ScenarioPartner()


__all__ = [
    "LEVELS",
    "ConversationContext",
    "LLMPartner",
    "Partner",
    "PartnerReply",
    "ScenarioPartner",
    "Turn",
    "build_partner",
    "other_language",
    "scenarios",
    "vocabulary_check",
]
