"""The fitted English text-level model: its answers, its artefact checks and its recipe."""

from __future__ import annotations

import csv
import json
import shutil
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from pipelines.cefr import LEVELS, text_level
from pipelines.cefr.excerpts import sentence_spans
from pipelines.cefr.model import (
    DEFAULT_ARTEFACT,
    METHOD,
    ModelArtefactError,
    TextLevelModel,
    default_model,
    mixed,
)
from pipelines.cefr.train import CORPUS
from pipelines.cefr.train import main as train

BEGINNER = (
    "My name is Anna. I am ten years old. I live in a small house with my mother and my "
    "father. I have a dog. His name is Max. He is black and white. I like my dog. Every day "
    "I walk with Max in the park. We play with a ball. I go to school by bus. I like school."
)
ADVANCED = (
    "Notwithstanding the considerable methodological sophistication of recent scholarship, "
    "the epistemological assumptions underpinning much comparative historiography remain "
    "curiously unexamined. Historians who would never tolerate an unsubstantiated empirical "
    "claim nonetheless routinely presuppose that categories forged in one intellectual "
    "tradition can be transposed, without substantial distortion, onto societies whose "
    "self-understanding was articulated in radically different conceptual vocabularies."
)


def _corpus_sample(per_level: int) -> dict[str, list[str]]:
    by_level: dict[str, list[str]] = defaultdict(list)
    with CORPUS.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if len(by_level[row["label"]]) < per_level:
                by_level[row["label"]].append(row["text"])
    return by_level


def test_english_texts_are_levelled_by_the_fitted_model_with_calibrated_probabilities():
    # Given a beginner's paragraph and an academic one
    # When the platform levels them
    low, high = text_level(BEGINNER, "en"), text_level(ADVANCED, "en")
    # Then the fitted model answered, far apart, with probabilities that sum to one
    assert low.method == high.method == METHOD
    assert low.level in ("A1", "A2") and high.level in ("C1", "C2")
    for estimate in (low, high):
        assert estimate.probabilities is not None
        assert sum(estimate.probabilities.values()) == pytest.approx(1.0, abs=1e-3)
        assert estimate.confidence == pytest.approx(
            estimate.probabilities[estimate.level], abs=1e-3
        )
        assert max(estimate.probabilities, key=estimate.probabilities.get) == estimate.level
    # And the 0-100 score stays inside the level's band, so it mixes with other scores
    from pipelines.cefr import level_for_score

    assert level_for_score(low.score) == low.level
    assert level_for_score(high.score) == high.level


def test_every_level_is_answered_on_graded_texts():
    # Given five graded texts of each level from the training corpus
    sample = _corpus_sample(5)
    # When the model levels them
    answered = {text_level(text, "en").level for texts in sample.values() for text in texts}
    # Then it uses the whole scale, C1 and C2 included (the heuristic never did)
    assert answered == set(LEVELS)


def test_short_answers_are_less_certain_than_the_same_model_on_long_text():
    # Given a ten-word answer and a long text of the same kind
    short = text_level("I like my dog. He is big and black.", "en")
    long = text_level(BEGINNER, "en")
    # Then the short one is levelled with reduced certainty and says why
    assert short.method == METHOD
    assert short.confidence < long.confidence
    assert any("fitted on texts of 30 words" in reason for reason in short.reasons)


def test_a_short_paragraph_is_levelled_with_the_certainty_measured_at_its_length():
    # Given the first sentences of a B2 reading text (about 45 words) and the whole text
    text = _corpus_sample(1)["B2"][0]
    spans = sentence_spans(text)
    counts = np.cumsum([words for _, _, words in spans])
    paragraph = text[: spans[int(np.argmax(counts >= 40))][1]]
    short, whole = text_level(paragraph, "en"), text_level(text, "en")
    # Then the paragraph is levelled within one level of B2, less surely than the whole text,
    # and the reasons say its confidence was calibrated at its length
    assert abs(LEVELS.index(short.level) - LEVELS.index("B2")) <= 1
    assert short.confidence < whole.confidence
    assert short.confidence < 0.7  # v1 called a 45-word B2 paragraph C2 at 0.70
    assert any("calibrated on held-out excerpts" in reason for reason in short.reasons)


def test_languages_without_labelled_data_keep_the_heuristic_and_say_so():
    # Given a Spanish text
    estimate = text_level("Me llamo Ana. Tengo diez años. Vivo en una casa pequeña.", "es")
    # Then the documented heuristic answers, named as such, with no model probabilities
    assert estimate.method == "heuristic"
    assert estimate.probabilities is None


def test_writing_and_speaking_levels_carry_the_method():
    # Given a learner's text
    from pipelines.writing.engine import assess_writing

    result = assess_writing(BEGINNER, "en")
    # Then the writing result says which method levelled it and how sure it is
    assert result.cefr_method == METHOD
    assert 0 < result.cefr_confidence <= 1
    assert result.offline_estimate["method"] == METHOD


def _copy_artefact(tmp_path: Path) -> Path:
    for path in DEFAULT_ARTEFACT.parent.iterdir():
        shutil.copy(path, tmp_path / path.name)
    return tmp_path / DEFAULT_ARTEFACT.name


def test_a_missing_artefact_fails_naming_the_file(tmp_path):
    # Given no model file where one is expected
    missing = tmp_path / "cefr-text-en-v3.json"
    # When the model loads, then it refuses, naming the file and the command that rebuilds it
    with pytest.raises(ModelArtefactError, match="cefr-text-en-v3.json.*pipelines.cefr.train"):
        TextLevelModel(missing)


def test_a_corrupt_artefact_fails_naming_the_file(tmp_path):
    # Given a truncated JSON file
    path = _copy_artefact(tmp_path)
    path.write_text(path.read_text()[:500])
    # Then loading it fails with the file named
    with pytest.raises(ModelArtefactError, match=str(path)):
        TextLevelModel(path)


def test_a_tree_file_that_does_not_match_its_checksum_is_refused(tmp_path):
    # Given a tree file changed after training
    path = _copy_artefact(tmp_path)
    part = json.loads(path.read_text())["parts"]["long"]
    trees = tmp_path / part["trees"]["thresholds"][2]["file"]
    trees.write_text(trees.read_text().replace("learning_rate", "learning_rate ", 1))
    # Then the model refuses it
    with pytest.raises(ModelArtefactError, match="checksum"):
        TextLevelModel(path)


def test_calibration_bands_out_of_order_are_refused(tmp_path):
    # Given an artefact whose length bands are not increasing word counts
    path = _copy_artefact(tmp_path)
    spec = json.loads(path.read_text())
    spec["calibration"][0]["below_words"] = 1000
    path.write_text(json.dumps(spec))
    # Then it is refused, naming the file
    with pytest.raises(ModelArtefactError, match=f"{path}.*calibration bands"):
        TextLevelModel(path)


def test_a_mix_that_ends_before_it_starts_is_refused(tmp_path):
    # Given an artefact whose length mix hands over to the long part before it starts
    path = _copy_artefact(tmp_path)
    spec = json.loads(path.read_text())
    spec["mix"] = {"from_words": 200, "to_words": 100}
    path.write_text(json.dumps(spec))
    # Then it is refused, naming the file
    with pytest.raises(ModelArtefactError, match=f"{path}.*mix"):
        TextLevelModel(path)


def test_short_texts_are_levelled_by_the_short_part_and_long_texts_by_the_long_one():
    # Given the two parts' probabilities for three texts of 80, 150 and 400 words
    short = np.array([[0.7, 0.3, 0, 0, 0, 0]] * 3)
    long = np.array([[0, 0.3, 0.7, 0, 0, 0]] * 3)
    # When they are mixed by length over the shipped model's span
    model = default_model()
    together = mixed(short, long, np.array([80, 150, 400]), model.mix)
    # Then the short text takes the short part's, the long text the long part's, and the
    # text in between a share of each in proportion to where its length lies
    assert model.mix == (100.0, 200.0)
    np.testing.assert_allclose(together[0], short[0])
    np.testing.assert_allclose(together[1], 0.5 * short[1] + 0.5 * long[1])
    np.testing.assert_allclose(together[2], long[2])


def test_an_artefact_for_other_measurements_is_refused(tmp_path):
    # Given an artefact whose feature list differs from what the platform measures
    path = _copy_artefact(tmp_path)
    spec = json.loads(path.read_text())
    spec["features"][0] = "something_else"
    path.write_text(json.dumps(spec))
    # Then it is refused with a hint to retrain
    with pytest.raises(ModelArtefactError, match="retrain"):
        TextLevelModel(path)


def test_the_app_does_not_start_without_its_model(tmp_path, monkeypatch):
    # Given CEFR_TEXT_MODEL pointing at a missing file
    monkeypatch.setenv("CEFR_TEXT_MODEL", str(tmp_path / "nowhere.json"))
    default_model.cache_clear()
    try:
        from api import create_app
        from tests.conftest import make_settings

        # When the app is built, then start-up stops with the file named
        with pytest.raises(ModelArtefactError, match="nowhere.json"):
            create_app(make_settings(tmp_path))
    finally:
        monkeypatch.delenv("CEFR_TEXT_MODEL")
        default_model.cache_clear()


def _close(rebuilt: object, shipped: object) -> bool:
    """Equal structure and text, numbers equal to the printed third decimal: floating-point
    noise may move a temperature in its fifth digit or flip the level of one borderline text
    (1 of 1,195 moves an accuracy by 0.0008)."""
    if isinstance(shipped, dict):
        return (
            isinstance(rebuilt, dict)
            and rebuilt.keys() == shipped.keys()
            and all(_close(rebuilt[key], shipped[key]) for key in shipped)
        )
    if isinstance(shipped, list):
        return (
            isinstance(rebuilt, list)
            and len(rebuilt) == len(shipped)
            and all(_close(a, b) for a, b in zip(rebuilt, shipped, strict=True))
        )
    if isinstance(shipped, float) and isinstance(rebuilt, int | float):
        return rebuilt == pytest.approx(shipped, rel=1e-3, abs=1e-3)
    return rebuilt == shipped


@pytest.mark.slow
@pytest.mark.timeout(3600)  # measures 1,195 texts and 13,000 excerpts, fits 36 times per part
def test_the_training_command_rebuilds_the_shipped_model(tmp_path, capsys):
    # Given the training CSV shipped with the platform
    # When the training command runs into a fresh folder
    assert train(["--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    # Then it prints and stores the shipped model's cross-validated figures
    shipped = json.loads(DEFAULT_ARTEFACT.read_text())
    rebuilt = json.loads((tmp_path / DEFAULT_ARTEFACT.name).read_text())
    # (to floating-point noise: the linear algebra library may sum in another order)
    assert _close(rebuilt["cv"], shipped["cv"])
    assert f"accuracy {shipped['cv']['accuracy']:.3f}" in printed
    # And the same coefficients, temperature and trees
    assert f"{shipped['cv']['by_length']['50']['within_one']:.3f}" in printed
    assert _close(rebuilt["calibration"], shipped["calibration"])
    assert rebuilt["mix"] == shipped["mix"]
    for part in ("short", "long"):
        np.testing.assert_allclose(
            rebuilt["parts"][part]["logistic"]["coef"],
            shipped["parts"][part]["logistic"]["coef"],
            atol=1e-6,
        )
        assert (
            rebuilt["parts"][part]["trees"]["thresholds"]
            == shipped["parts"][part]["trees"]["thresholds"]
        )
    assert rebuilt["trained"]["sha256"] == shipped["trained"]["sha256"]
