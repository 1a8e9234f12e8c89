"""The offline conversation partner: level-graded dialogue scripts with intent matching.

`scenarios.json` holds each scenario in two bands of level, A (A1-A2) and B (B1 and up):
steps, each with the partner's line, a simpler rewording, a hint, and the intents it
expects. A learner's reply is matched to the step's intents and to generic ones (asking to
repeat, saying goodbye) by keyword sets, checked with fuzzy matching so misspelt and
mistranscribed words still count, together with rapidfuzz's token-set ratio against example
answers on the content words. Nothing matched: the partner rewords its question and gives a
hint; a second miss on the same step moves the conversation on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from pipelines.conversation.types import ConversationContext, PartnerReply
from pipelines.errors import PipelineError

DATA = Path(__file__).with_name("scenarios.json")
ACCEPT = 0.55  # keyword (0.4) plus some resemblance, or a near-verbatim example
KEYWORD_WEIGHT = 0.4
FUZZY_KEYWORD = 85  # rapidfuzz ratio at which a word counts as a misspelt keyword
MAX_MISSES = 2
_STOPWORDS = frozenset(
    "i a an the to is am are you me it and of in on for do can would could please some that "
    "this be at with so just um uh oh er".split()
)
_WORD = re.compile(r"[a-zà-ÿ']+")
_NAME = re.compile(r"(?:my name is|my name's|i'm|i am|call me|it's)\s+([A-Za-zÀ-ÿ'-]+)", re.I)
_PLACEHOLDER = re.compile(r",? ?\{(\w+)\}")


@dataclass(frozen=True)
class Match:
    intent: dict[str, Any]
    score: float
    item: str | None


@cache
def catalogue() -> dict[str, Any]:
    return json.loads(DATA.read_text(encoding="utf-8"))


def version() -> str:
    return catalogue()["version"]


def scenario(scenario_id: str) -> dict[str, Any]:
    for found in catalogue()["scenarios"]:
        if found["id"] == scenario_id:
            return found
    raise PipelineError("scenario_not_found", f"No scenario {scenario_id!r}.")


def scenarios(language: str | None = None) -> list[dict[str, Any]]:
    return [s for s in catalogue()["scenarios"] if language in (None, s["language"])]


def band(level: str) -> str:
    return "A" if level in ("A1", "A2") else "B"


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'"))


def _keyword_hits(tokens: list[str], keywords: list[str]) -> list[str]:
    hits = []
    for keyword in keywords:
        for token in tokens:
            if token == keyword or (
                len(keyword) >= 5
                and len(token) >= 4
                and fuzz.ratio(token, keyword) >= FUZZY_KEYWORD
            ):
                hits.append(keyword)
                break
    return hits


def _content(tokens: list[str]) -> str:
    return " ".join(t for t in tokens if t not in _STOPWORDS)


def match(text: str, intents: list[dict[str, Any]]) -> Match | None:
    """The best intent for the learner's text, or None when nothing is close enough."""
    tokens = words(text)
    content = _content(tokens)
    best: Match | None = None
    for intent in intents:
        hits = _keyword_hits(tokens, intent.get("keywords", []))
        resemblance = 0.0
        if content:
            resemblance = max(
                (
                    fuzz.token_set_ratio(content, _content(words(example))) / 100
                    for example in intent.get("examples", [])
                ),
                default=0.0,
            )
        score = round((KEYWORD_WEIGHT if hits else 0.0) + (1 - KEYWORD_WEIGHT) * resemblance, 3)
        if score >= ACCEPT and (best is None or score > best.score):
            slots = [h for h in hits if h in intent.get("slot", [])]
            best = Match(intent, score, slots[0] if slots else None)
    return best


def _fill(template: str, item: str | None, learner_text: str) -> str:
    values = {"item": item}
    named = _NAME.search(learner_text)
    if named:
        values["name"] = named.group(1).capitalize()
    elif len(words(learner_text)) == 1:
        values["name"] = words(learner_text)[0].capitalize()

    def put(found: re.Match[str]) -> str:
        value = values.get(found.group(1))
        if not value:
            return ""
        return found.group(0).replace("{" + found.group(1) + "}", value)

    text = _PLACEHOLDER.sub(put, template).strip()
    return text[0].upper() + text[1:] if text else text


class ScenarioPartner:
    name = "scenario"

    def reply(
        self,
        context: ConversationContext,
        learner_text: str | None,
        *,
        other_language: str | None = None,
    ) -> PartnerReply:
        script = scenario(context.scenario or "")
        lines = script["bands"][band(context.level)]
        steps = lines["steps"]
        state = {"step": 0, "misses": 0, **context.state}
        step = steps[min(state["step"], len(steps) - 1)]
        if learner_text is None:
            return self._say(step["say"], {"step": 0, "misses": 0}, intent="opening")
        if state.get("ended"):
            return self._say(lines["closing"], state, ended=True, intent="ended")
        if other_language:
            return self._say(
                f"Let's speak {script['language_name']}, please. {step['simple']} {step['hint']}",
                state,
                intent="other_language",
            )
        generic = catalogue()["generic"]
        found = match(learner_text, [*step["expect"], *generic])
        if found is None:
            return self._missed(state, steps, lines["closing"])
        intent = found.intent
        said = _fill(intent.get("reply", ""), found.item, learner_text)
        if intent.get("action") == "simplify":
            return self._say(step["simple"], state, intent=found)
        if intent.get("action") == "close":
            return self._say(lines["closing"], {**state, "ended": True}, ended=True, intent=found)
        if intent.get("stay"):
            again = "" if intent.get("alone") else f" {step['simple']}"
            return self._say(f"{said}{again}", state, intent=found)
        if intent.get("end") or state["step"] + 1 >= len(steps):
            return self._say(
                f"{said} {lines['closing']}", {**state, "ended": True}, ended=True, intent=found
            )
        following = state["step"] + 1
        return self._say(
            f"{said} {steps[following]['say']}", {"step": following, "misses": 0}, intent=found
        )

    def _missed(
        self, state: dict[str, Any], steps: list[dict[str, Any]], closing: str
    ) -> PartnerReply:
        step = steps[state["step"]]
        misses = state.get("misses", 0) + 1
        if misses < MAX_MISSES:
            return self._say(
                f"Sorry, I didn't understand. {step['simple']} {step['hint']}",
                {**state, "misses": misses},
                intent="clarify",
            )
        following = state["step"] + 1
        if following >= len(steps):
            return self._say(
                f"Never mind. {closing}", {**state, "ended": True}, ended=True, intent="move_on"
            )
        return self._say(
            f"Never mind. {steps[following]['say']}",
            {"step": following, "misses": 0},
            intent="move_on",
        )

    def _say(
        self,
        text: str,
        state: dict[str, Any],
        *,
        ended: bool = False,
        intent: Match | str | None = None,
    ) -> PartnerReply:
        if isinstance(intent, Match):
            name, score = intent.intent["intent"], intent.score
        else:
            name, score = intent, None
        return PartnerReply(
            text=text,
            partner=self.name,
            state=state,
            ended=ended,
            intent=name,
            match_score=score,
            provider="scenario",
            model=version(),
        )
