"""The offline partner's scripts and matching, and the level measure of partner lines, as
plain functions (no services)."""

from __future__ import annotations

import pytest

from pipelines.conversation import ConversationContext, ScenarioPartner, scenarios
from pipelines.conversation.level import other_language, vocabulary_check
from pipelines.conversation.scenarios import match


def _lines(band: str) -> list[str]:
    found = []
    for script in scenarios.scenarios():
        lines = script["bands"][band]
        found.append(lines["closing"])
        for step in lines["steps"]:
            found += [step["say"], step["simple"]]
    return found


def test_the_beginner_scripts_keep_to_a2_and_the_others_to_b2():
    # Given every line the partner says, by band
    # When each is measured against the top level of its band
    beginners = {line: vocabulary_check(line, "en", "A2") for line in _lines("A")}
    others = {line: vocabulary_check(line, "en", "B2") for line in _lines("B")}

    # Then none is above it
    assert [line for line, check in beginners.items() if not check["level_ok"]] == []
    assert [line for line, check in others.items() if not check["level_ok"]] == []
    # And the measure does tell the bands apart: the B lines hold words the A lines avoid
    b_words = {w for line in _lines("B") for w in vocabulary_check(line, "en", "A1")["above"]}
    a_words = {w for line in _lines("A") for w in vocabulary_check(line, "en", "A1")["above"]}
    assert len(b_words) > 2 * len(a_words)


def test_a_line_far_above_the_level_is_caught():
    check = vocabulary_check(
        "The establishment offers an exquisite assortment of delicacies.", "en", "A2"
    )
    assert check["level_ok"] is False and "exquisite" in check["above"]


@pytest.mark.parametrize(
    ("said", "intent", "item"),
    [
        ("I would like a sandwhich please", "order_food", "sandwich"),  # misspelt keyword
        ("Could I get the soup?", "order_food", "soup"),
        ("what is on the menu", "ask_menu", None),
        ("sorry, can you say that again more slowly", "not_understood", None),
        ("bye!", "goodbye", None),
    ],
)
def test_replies_are_matched_to_the_steps_intents(said, intent, item):
    step = scenarios.scenario("ordering-food")["bands"]["A"]["steps"][0]
    found = match(said, [*step["expect"], *scenarios.catalogue()["generic"]])
    assert found is not None and found.intent["intent"] == intent
    assert found.item == item


@pytest.mark.parametrize("said", ["I", "purple elephants dance", "the the the", ""])
def test_unrelated_or_empty_replies_match_nothing(said):
    step = scenarios.scenario("ordering-food")["bands"]["A"]["steps"][0]
    assert match(said, [*step["expect"], *scenarios.catalogue()["generic"]]) is None


def test_two_misses_move_the_conversation_on_and_the_script_ends():
    partner, state = ScenarioPartner(), {}
    context = lambda: ConversationContext("en", "A1", scenario="directions", state=state)  # noqa: E731
    partner.reply(context(), None)
    first = partner.reply(context(), "zzz")
    state = first.state
    second = partner.reply(context(), "qqq")
    state = second.state
    assert first.intent == "clarify" and "You can say" in first.text
    assert second.intent == "move_on" and state["step"] == 1
    for said in ("yes thanks", "I am walking", "no thank you"):
        reply = partner.reply(context(), said)
        state = reply.state
    assert reply.ended is True and reply.text.endswith("Have a nice day. Bye!")


def test_the_language_of_a_written_turn():
    assert other_language("Quiero una pizza con queso, por favor", "en") == "es"
    assert other_language("Je voudrais un café, s'il vous plaît", "en") == "fr"
    assert other_language("I would like a pizza with cheese, please", "en") is None
    assert other_language("Pizza!", "en") is None  # too short to tell
