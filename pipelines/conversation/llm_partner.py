"""The LLM conversation partner: a versioned prompt, the learner's level kept by measurement.

Each reply's vocabulary is measured against the learner's level (`level.vocabulary_check`);
a reply above it is asked for again once with the words that were too hard named, and the
simpler answer is used. The result records both checks, so drift stays visible.
"""

from __future__ import annotations

from typing import Any

import prompts
from pipelines.conversation.level import vocabulary_check
from pipelines.conversation.types import ConversationContext, PartnerReply, Turn
from pipelines.llm import LLMProvider

HISTORY_TURNS = 12
OPENING = "(The conversation starts now: greet the learner and ask your first question.)"


def _history(turns: tuple[Turn, ...]) -> str:
    recent = turns[-HISTORY_TURNS:]
    if not recent:
        return "(nothing yet)"
    return "\n".join(f"{'Learner' if t.role == 'learner' else 'You'}: {t.text}" for t in recent)


def _setting(context: ConversationContext, scenario_title: str | None) -> str:
    return "; ".join(part for part in (scenario_title, context.topic) if part) or "everyday life"


class LLMPartner:
    name = "llm"

    def __init__(self, llm: LLMProvider, scenario_title: str | None = None) -> None:
        self.llm = llm
        self.scenario_title = scenario_title

    def _ask(self, context: ConversationContext, learner_text: str | None, guidance: str) -> Any:
        prompt = prompts.render(
            "conversation_reply",
            language=prompts.language_name(context.language),
            level=context.level,
            setting=_setting(context, self.scenario_title),
            persona=context.persona or "a friendly conversation partner",
            history=_history(context.history),
            learner_text=learner_text or OPENING,
            guidance=guidance,
        )
        return self.llm.generate_json(prompt)

    def reply(
        self,
        context: ConversationContext,
        learner_text: str | None,
        *,
        other_language: str | None = None,
    ) -> PartnerReply:
        guidance = ""
        if other_language:
            guidance = (
                f"\nThe learner wrote in {prompts.language_name(other_language)}: answer "
                f"in {prompts.language_name(context.language)} and encourage them to "
                "use it."
            )
        result = self._ask(context, learner_text, guidance)
        check = vocabulary_check(result.data["reply"], context.language, context.level)
        checks = [check]
        usage = dict(result.usage)
        if not check["level_ok"]:
            simpler = (
                f"{guidance}\nYour previous answer was too hard for {context.level}: "
                f"these words are above the level: {', '.join(check['above'])}. Say the "
                "same with simpler, more common words and shorter sentences."
            )
            result = self._ask(context, learner_text, simpler)
            checks.append(vocabulary_check(result.data["reply"], context.language, context.level))
            for key, value in result.usage.items():
                usage[key] = usage.get(key, 0) + value
        data = result.data
        return PartnerReply(
            text=data["reply"].strip(),
            partner=self.name,
            state=dict(context.state),
            correction=data.get("correction"),
            follow_up=data.get("follow_up_question"),
            intent="other_language" if other_language else None,
            provider=result.provider,
            model=result.model,
            prompt_version=result.prompt_version,
            level_check={**checks[-1], "regenerated": len(checks) > 1, "first": checks[0]},
            usage=usage,
        )
