"""Prompt templates: versions, rendering, and the JSON schemas of their answers."""

from __future__ import annotations

import copy
import re

import pytest
from jsonschema import Draft202012Validator

import prompts
from pipelines.llm import InvalidAnswer, parse_answer
from tests.pipelines.text.llm_samples import ANSWERS, VALUES


@pytest.mark.parametrize("name", prompts.NAMES)
def test_each_prompt_renders_with_its_values_and_a_dated_version(name):
    # Given the sample values for a prompt
    values = VALUES[name]
    # When rendered
    rendered = prompts.render(name, **values)
    # Then the version header is a date, no placeholder is left, and the values appear
    assert rendered.name == name
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", rendered.version)
    assert "$" not in rendered.system + rendered.user
    for value in values.values():
        if isinstance(value, str):
            assert value in rendered.system + rendered.user


@pytest.mark.parametrize("name", prompts.NAMES)
def test_each_sample_answer_validates_and_a_broken_one_does_not(name):
    # Given the prompt's schema, a valid sample answer and a copy missing a required field
    schema = prompts.load(name).schema
    Draft202012Validator.check_schema(schema)
    broken = copy.deepcopy(ANSWERS[name])
    broken.pop(schema["required"][0])
    # When validated / Then the sample passes and the broken copy fails
    assert parse_answer(prompts.json_dumps(ANSWERS[name]), schema) == ANSWERS[name]
    with pytest.raises(InvalidAnswer, match="required"):
        parse_answer(prompts.json_dumps(broken), schema)


def test_out_of_range_scores_and_unknown_levels_fail_validation():
    # Given a writing answer with a score of 120 and a level "D1"
    answer = copy.deepcopy(ANSWERS["writing_assessment"])
    answer["scores"]["grammar"] = 120
    answer["cefr_level"] = "D1"
    # When validated / Then both problems are reported
    with pytest.raises(InvalidAnswer) as err:
        parse_answer(prompts.json_dumps(answer), prompts.load("writing_assessment").schema)
    assert "scores/grammar" in str(err.value) and "cefr_level" in str(err.value)


def test_missing_or_unexpected_values_are_errors():
    # Given the hint prompt with one value left out, then with one too many
    values = dict(VALUES["hint"])
    values.pop("entry")
    # When rendered / Then each is refused and named
    with pytest.raises(prompts.PromptError, match="entry"):
        prompts.render("hint", **values)
    with pytest.raises(prompts.PromptError, match="colour"):
        prompts.render("hint", **VALUES["hint"], colour="red")
    with pytest.raises(prompts.PromptError, match="unknown prompt"):
        prompts.render("poem")


def test_structured_values_render_as_stable_json_and_user_text_is_not_expanded():
    # Given a dict value in two key orders and a text containing "$" placeholders
    a = prompts.render("hint", **{**VALUES["hint"], "entry": {"b": 1, "a": "ü"}})
    b = prompts.render("hint", **{**VALUES["hint"], "entry": {"a": "ü", "b": 1}})
    c = prompts.render("hint", **{**VALUES["hint"], "word": "$word ${context}"})
    # When compared / Then the same values give the same text, unescaped, and "$" survives
    assert a.user == b.user
    assert '"a": "ü"' in a.user
    assert "Word: $word ${context}" in c.user


def test_model_text_around_the_json_object_is_tolerated():
    # Given an answer wrapped in a code fence with a sentence after it
    body = prompts.json_dumps(ANSWERS["hint"])
    text = f"Here is the hint:\n```json\n{body}\n```\nHope this helps!"
    # When parsed / Then the object is extracted; text with no object is invalid
    assert parse_answer(text, prompts.load("hint").schema)["english"] == "cat"
    with pytest.raises(InvalidAnswer, match="no JSON object"):
        parse_answer("I cannot help with that.", prompts.load("hint").schema)
    with pytest.raises(InvalidAnswer, match="not valid JSON"):
        parse_answer('{"word": "猫",', prompts.load("hint").schema)
