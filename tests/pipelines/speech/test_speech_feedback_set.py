"""The spoken feedback set (tests/fixtures/feedback/speaking.json): 20 answers spoken by
espeak-ng, transcribed by the bundled Whisper model, assessed with their task or reference text,
and checked against expectations written by hand from the speaking rules."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pipelines.cefr import LEVELS
from pipelines.speaking import READING_METHOD, SpeakingAssessment, assess_speaking

SET = Path(__file__).resolve().parents[2] / "fixtures" / "feedback" / "speaking.json"
DATA = json.loads(SET.read_text())
CASES = {case["id"]: case for case in DATA["cases"]}
VOICE = "en"  # espeak-ng British English, as the other speech fixtures

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("espeak-ng") is None, reason="espeak-ng is installed by `make test`"
    ),
]


@pytest.fixture(scope="module")
def assessed(whisper, tmp_path_factory) -> dict[str, SpeakingAssessment]:
    """Every case, spoken, transcribed once per clip and assessed."""
    folder = tmp_path_factory.mktemp("feedback-clips")
    transcripts = {}
    for name, clip in DATA["clips"].items():
        path = folder / f"{name}.wav"
        subprocess.run(
            ["espeak-ng", "-v", VOICE, "-s", str(clip["wpm"]), "-w", str(path), clip["text"]],
            check=True,
            capture_output=True,
        )
        transcripts[name] = whisper.transcribe(path, language="en")
    results = {}
    for case_id, case in CASES.items():
        reference = DATA["clips"][case["reference"]]["text"] if "reference" in case else None
        results[case_id] = assess_speaking(
            transcripts[case["clip"]],
            language="en",
            prompt_text=case.get("task"),
            reference_text=reference,
        )
    return results


def rank(level: str) -> int:
    return LEVELS.index(level)


def _params() -> list[Any]:
    """Every case; a documented known miss runs as a strict expected failure, so fixing it
    shows up (and the set must then be updated)."""
    return [
        pytest.param(case_id, marks=pytest.mark.xfail(strict=True, reason=case["known_miss"]))
        if "known_miss" in case
        else case_id
        for case_id, case in CASES.items()
    ]


@pytest.mark.parametrize("case_id", _params())
def test_spoken_answer_meets_its_expectations(
    case_id: str, assessed: dict[str, SpeakingAssessment]
) -> None:
    result, expect = assessed[case_id], CASES[case_id]["expect"]
    other = assessed.__getitem__
    if "max_level" in expect:
        assert rank(result.cefr_level) <= rank(expect["max_level"]), result.feedback["overall"]
    if "min_level" in expect:
        assert rank(result.cefr_level) >= rank(expect["min_level"]), result.feedback["overall"]
    if "above" in expect:
        assert rank(result.cefr_level) > rank(other(expect["above"]).cefr_level)
    if "below" in expect:  # at least one band lower than the named case
        assert rank(result.cefr_level) <= rank(other(expect["below"]).cefr_level) - 1
    if "not_above" in expect:
        assert rank(result.cefr_level) <= rank(other(expect["not_above"]).cefr_level)
    if "fluency_below" in expect:
        assert result.scores["fluency"] < other(expect["fluency_below"]).scores["fluency"]
    if "off_topic" in expect:
        assert result.relevance is not None
        assert result.relevance["off_topic"] is expect["off_topic"], result.relevance
    if expect.get("too_fast"):
        assert result.fluency.speech_rate_wpm > 200
        assert "too fast" in result.feedback["fluency"]
    if expect.get("reading"):
        assert result.cefr_method == READING_METHOD
        assert result.scores["vocabulary"] is None and result.scores["grammar"] is None
    if "min_completeness" in expect:
        assert result.reading is not None
        assert result.reading.completeness >= expect["min_completeness"]
    if "max_completeness" in expect:
        assert result.reading is not None
        assert result.reading.completeness <= expect["max_completeness"]
    for word in expect.get("omitted_include", []):
        assert result.reading is not None and word in result.reading.omitted
    if "min_connectors" in expect:
        connectors = round(result.features["connector_ratio"] * result.features["sentences"])
        assert connectors >= expect["min_connectors"]
