"""Pronunciation scoring with real components: synthetic espeak-ng readings with known errors,
free speech, the fitted model artefact, and recordings it must refuse to judge."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from pipelines.audio import decode_audio
from pipelines.pronunciation import METHOD, PronunciationResult, assess_pronunciation
from pipelines.pronunciation.corpus import read_measurements
from pipelines.pronunciation.encoder_fit import attach_states, fit_encoder
from pipelines.pronunciation.model import (
    ARTEFACT,
    ModelArtefactError,
    load_model,
    read_model,
)
from pipelines.pronunciation.synthetic import cases, synthesise
from pipelines.pronunciation.train import _held_out_probability, fit, fit_phone_norm
from pipelines.transcription import Transcript, Word

# espeak-ng's voice is far from the speakers the acoustic model learnt from, and on some
# words of some sentences it is flagged though read as written (the bench counts how often).
SENTENCE = "Always waiting for the next season."
ERRORS = ("mispronunciation", "substitution")


@pytest.fixture(scope="module")
def read_aloud(whisper, tmp_path_factory) -> Callable[[str, str], PronunciationResult]:
    """`read_aloud(spoken, reference)`: espeak-ng speaks `spoken`; the result is assessed as a
    reading of `reference` the way the speaking job does it (primed and free decodes)."""
    folder = tmp_path_factory.mktemp("readings")
    done: dict[tuple[str, str], PronunciationResult] = {}

    def run(spoken: str, reference: str) -> PronunciationResult:
        if (spoken, reference) not in done:
            path = synthesise(spoken, folder / f"{len(done)}.wav")
            audio = decode_audio(path)
            primed = whisper.transcribe(path, "en", prompt=reference)
            free = whisper.transcribe(path, "en")
            done[spoken, reference] = assess_pronunciation(
                audio.samples,
                audio.sample_rate,
                primed,
                reference_text=reference,
                language="en",
                free_transcript=free,
            )
        return done[spoken, reference]

    return run


def _case(kind: str):
    return next(c for c in cases(SENTENCE) if c.kind == kind)


def _reference_words(result: PronunciationResult):
    return [w for w in result.words if w.error_type not in ("insertion", "repetition")]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_correct_reading_is_accepted_word_by_word(read_aloud):
    # Given a sentence read exactly as written
    case = _case("correct")

    # When it is assessed as a reading of that sentence
    result = read_aloud(case.spoken, case.reference)

    # Then it is judged by the phone-level method, every word is accepted and complete
    assert (result.method, result.judged) == (METHOD, True)
    words = _reference_words(result)
    assert [w.word for w in words] == ["Always", "waiting", "for", "the", "next", "season"]
    assert [w.error_type for w in result.words] == [None] * 6
    assert result.completeness == 100
    # ... each word with its phonemes, scored 0-100, expected and heard
    season = words[5]
    assert [p.expected for p in season.phonemes] == ["S", "IY", "Z", "AH", "N"]
    assert all(0 <= p.score <= 100 for w in words for p in w.phonemes)
    assert all(
        0 <= s <= 100 for s in (result.accuracy, result.fluency, result.prosody, result.overall)
    )
    assert result.prosody_measures["final_expected"] == "fall"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_word_with_substituted_phonemes_is_flagged_with_what_was_heard(read_aloud):
    # Given the sentence with two phonemes of one word changed (espeak [[...]] input)
    case = _case("substitution")
    assert "[[" in case.spoken

    # When it is assessed against the original text
    result = read_aloud(case.spoken, case.reference)

    # Then that word, and no other, is flagged, and its phonemes show the sounds heard
    words = _reference_words(result)
    flagged = [i for i, w in enumerate(words) if w.error_type in ERRORS]
    assert flagged == [case.target]
    target = words[case.target]
    assert target.accuracy < 80
    assert any(p.heard != p.expected for p in target.phonemes)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_dropped_word_is_an_omission_and_lowers_completeness(read_aloud):
    # Given the sentence read with one word left out
    case = _case("omission")

    # When it is assessed against the full text
    result = read_aloud(case.spoken, case.reference)

    # Then that word is an omission and completeness counts it
    words = _reference_words(result)
    assert [i for i, w in enumerate(words) if w.error_type == "omission"] == [case.target]
    assert result.completeness == round(100 * 5 / 6)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_an_inserted_word_is_found_though_the_primed_decoder_hides_it(read_aloud):
    # Given the sentence read with an extra word in the middle
    case = _case("insertion")

    # When it is assessed against the text without it
    result = read_aloud(case.spoken, case.reference)

    # Then one insertion is reported where the extra word was said (the recogniser may spell
    # a synthetic word its own way), and no word of the text is omitted
    kinds = [w.error_type for w in result.words]
    assert kinds.count("insertion") + kinds.count("repetition") == 1
    at = kinds.index("insertion") if "insertion" in kinds else kinds.index("repetition")
    before = [w.word for w in result.words[:at]]
    assert before == case.spoken.split()[: len(before)]
    assert "omission" not in kinds


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_free_speech_is_scored_per_word_and_phoneme(transcribed, audio_dir):
    # Given a free answer (no reference text) and its transcript
    transcript = transcribed("en_fluent.wav")
    audio = decode_audio(audio_dir / "en_fluent.wav")

    # When its pronunciation is assessed
    result = assess_pronunciation(audio.samples, audio.sample_rate, transcript, language="en")

    # Then the recognised words are aligned and scored; completeness is for readings only
    assert (result.method, result.judged, result.completeness) == (METHOD, True, None)
    assert [w.word for w in result.words][:3] == ["i", "like", "to"]
    assert all(w.phonemes and w.start is not None for w in result.words)
    assert result.overall is not None and result.prosody is not None


def _transcript(
    text: str, language: str = "en", seconds: float = 3.0, confidence: float = 0.9
) -> Transcript:
    words = text.split()
    step = seconds / (len(words) + 1)
    return Transcript(
        text=text,
        language=language,
        language_probability=1.0,
        duration=seconds,
        words=[Word(w, step * i, step * (i + 1), confidence) for i, w in enumerate(words)],
    )


def test_other_languages_keep_the_recogniser_confidence_method():
    # Given a Spanish transcript
    transcript = _transcript("Me gusta mucho leer libros.", language="es")

    # When its pronunciation is assessed
    result = assess_pronunciation(np.zeros(48000, dtype=np.float32), 16000, transcript)

    # Then the result names the confidence method and says so, with no phoneme scores
    assert (result.method, result.judged, result.accuracy) == ("asr-confidence", True, 90)
    assert "English only" in result.message
    assert all(w.phonemes == [] for w in result.words)


def test_a_clip_of_a_fifth_of_a_second_is_not_judged(audio_dir):
    # Given 0.2 s of a recording
    audio = decode_audio(audio_dir / "en_fluent.wav")
    clip = audio.samples[: audio.sample_rate // 5]

    # When it is assessed
    result = assess_pronunciation(clip, audio.sample_rate, _transcript("I like"), language="en")

    # Then it is not judged, with a stable reason and no scores
    assert (result.judged, result.reason, result.accuracy, result.overall) == (
        False,
        "too_short",
        None,
        None,
    )


def test_a_reference_text_in_another_language_is_not_judged(audio_dir):
    # Given an English recording and a Spanish reference text
    audio = decode_audio(audio_dir / "en_fluent.wav")
    transcript = _transcript("I like to walk in the park with my dog every evening.")

    # When it is assessed as a reading
    result = assess_pronunciation(
        audio.samples,
        audio.sample_rate,
        transcript,
        language="en",
        reference_text="Me gusta caminar por el parque con mi perro.",
    )

    # Then it says why it could not judge
    assert (result.judged, result.reason) == (False, "reference_not_english")


def test_music_under_a_transcript_gets_no_confident_score():
    # Given four seconds of chords and what a recogniser might invent over them, unsure
    t = np.arange(4 * 16000) / 16000
    music = sum(0.15 * np.sin(2 * np.pi * f * t) for f in (220, 277, 330)).astype(np.float32)

    # When it is assessed
    invented = _transcript("La la la la.", confidence=0.3)
    result = assess_pronunciation(music, 16000, invented, language="en")

    # Then it is not judged
    assert (result.judged, result.reason, result.accuracy) == (False, "speech_unclear", None)


def test_the_shipped_model_reads_once_and_carries_its_cross_validated_figures():
    # Given the artefact in the repository
    # When it is loaded twice
    model = load_model()

    # Then it is the same object, names its version and the figures of its training run
    assert load_model() is model
    assert model.name == "pronunciation-gop-pocketsphinx-whisper" and model.version == 5
    assert METHOD == "gop-pocketsphinx-whisper-v5"
    assert set(model.cv["pearson"]) == {"accuracy", "fluency", "prosodic", "total"}
    assert set(model.cv["encoder_alone"]) == {"accuracy", "fluency", "prosodic", "total"}
    assert model.encoder is not None and len(model.encoder.mean) == 1024
    assert 0 < model.word_threshold < 1


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot be read"),
        ("{not json", "is not valid JSON"),
        ('{"name": "x", "version": 1, "word": {}, "clip": {}}', "no clip model"),
    ],
)
def test_a_missing_or_corrupt_artefact_fails_loudly_naming_the_file(tmp_path, content, problem):
    # Given a missing, unparseable or incomplete artefact
    path = tmp_path / "model.json"
    if content is not None:
        path.write_text(content)

    # When it is read
    with pytest.raises(ModelArtefactError) as raised:
        read_model(path)

    # Then the error has the stable code and names the file and the problem
    assert raised.value.code == "pronunciation_model_invalid"
    assert str(path) in raised.value.message and problem in raised.value.message


def test_a_phone_norm_with_a_zero_spread_is_refused(tmp_path):
    # Given the shipped artefact with one phone's spread made zero
    data = json.loads(ARTEFACT.read_text())
    data["phones"]["gop"]["AH"][1] = 0.0
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data))

    # When it is read, then it is refused
    with pytest.raises(ModelArtefactError, match="phones.gop"):
        read_model(path)


def test_a_damaged_tree_dump_is_refused(tmp_path):
    # Given the shipped artefact with the trees of one clip score cut short
    data = json.loads(ARTEFACT.read_text())
    data["clip_trees"]["total"]["model"] = data["clip_trees"]["total"]["model"][:200]
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data))

    # When it is read, then it is refused, naming the part
    with pytest.raises(ModelArtefactError, match="clip_trees.total"):
        read_model(path)


def test_a_clip_score_blends_the_ridge_regression_the_trees_and_the_encoder():
    # Given the shipped model, the measurements of a poor and a good reading, and pooled
    # encoder states (the corpus's mean clip)
    model = load_model()
    names = model.clip_trees["accuracy"].features
    poor = {n: -5.0 if n.startswith("gop") else 0.0 for n in names}
    good = {n: -0.5 if n.startswith("gop") else 0.0 for n in names}
    pooled = np.array(model.encoder.mean)

    # When the accuracy is scored
    scores = [model.clip_score("accuracy", x, pooled) for x in (poor, good)]

    # Then each is half the mean of the two models and half the encoder's score (within
    # 0-100); the trees are not constant, and the corpus's mean clip scores its mean
    encoder = model.encoder.value("accuracy", pooled)
    assert encoder == pytest.approx(model.encoder.intercept["accuracy"])
    for x, score in zip((poor, good), scores, strict=True):
        ridge, trees = model.clip["accuracy"].value(x), model.clip_trees["accuracy"].value(x)
        blended = 0.5 * (ridge + trees) / 2 + 0.5 * encoder
        assert score == pytest.approx(max(0.0, min(100.0, blended)))
    assert model.clip_trees["accuracy"].value(poor) < model.clip_trees["accuracy"].value(good)
    # ... and a model with encoder scores will not score a clip without its states
    with pytest.raises(ValueError, match="encoder"):
        model.clip_score("accuracy", good)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda e: e["scale"].__setitem__(3, 0.0), "non-positive scale"),
        (lambda e: e["coef"]["total"].pop(), "inconsistent lengths"),
        (lambda e: e.__setitem__("weight", 1.5), "weight outside"),
        (lambda e: e["intercept"].pop("fluency"), "malformed encoder"),
    ],
)
def test_a_damaged_encoder_section_is_refused(tmp_path, change, problem):
    # Given the shipped artefact with its encoder section damaged
    data = json.loads(ARTEFACT.read_text())
    change(data["encoder"])
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data))

    # When it is read, then it is refused, naming the problem
    with pytest.raises(ModelArtefactError, match=problem):
        read_model(path)


def test_non_finite_coefficients_are_refused(tmp_path):
    # Given the shipped artefact with one coefficient made infinite
    data = json.loads(ARTEFACT.read_text())
    data["clip"]["fluency"]["coef"][0] = math.inf
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data))

    # When it is read, then it is refused
    with pytest.raises(ModelArtefactError, match="non-finite"):
        read_model(path)


def _phones(rng, quality: float) -> list[list]:
    """[phone, GOP, frames, heard, loop GOP] rows; "TH" sounds worse than "AH" even when right."""
    return [
        [
            phone,
            offset - 3 * (1 - quality) + rng.normal(0, 0.3),
            9,
            phone,
            1 - 3 * (1 - quality) + rng.normal(0, 0.3),
        ]
        for phone, offset in (("AH", -0.5), ("TH", -2.5), ("S", -1.0))
    ]


def _records(seed: int) -> list[dict]:
    """Measured clips with labels, made up from a seeded generator (three speakers)."""
    rng = np.random.default_rng(seed)
    records = []
    for n in range(30):
        quality = rng.uniform(0, 1)
        words = [
            {
                "kind": "reference",
                "label": int(rng.integers(5, 11)),
                "features": {
                    "gop_mean": -1 - 4 * (1 - quality) + rng.normal(0, 0.3),
                    "gop_min": -3.0,
                    "gop_worst2": -2.5,
                    "bad_share": 0.1,
                    "frames_per_phone": 9.0,
                    "heard": 1.0,
                    "confidence": quality,
                    "phones": 3.0,
                    "g2p": 0.0,
                },
                "phones": _phones(rng, quality),
            }
            for _ in range(5)
        ]
        clip = {
            "gop_mean": -1 - 4 * (1 - quality),
            "phones_per_second": 8 + quality,
            "pause_count": float(rng.integers(0, 3)),
        }
        labels = {t: 5 + 5 * quality for t in ("accuracy", "fluency", "prosodic", "total")}
        records.append(
            {
                "file": f"{n}.wav",
                "speaker": str(n % 3),
                "clip": clip,
                "words": words,
                "labels": labels,
            }
        )
    return records


def _words(records: list[dict]) -> list[dict]:
    return [{**w, "speaker": r["speaker"]} for r in records for w in r["words"]]


def test_phones_are_judged_against_the_same_phone_in_correct_words():
    # Given words in which "TH" always scores about 2 nats per frame below "AH"
    words = _words(_records(3))

    # When the phone norms are fitted
    norm = fit_phone_norm(words)

    # Then each phone has its own centre, and a TH and an AH at their own centres are
    # equally good (z-score 0) though their GOPs differ
    th, ah = norm.gop["TH"][0], norm.gop["AH"][0]
    assert th < ah - 1.5
    inputs = norm.inputs(
        [["TH", th, 9, "TH", norm.loop["TH"][0]], ["AH", ah, 9, "AH", norm.loop["AH"][0]]]
    )
    assert inputs["phone_z_min"] == pytest.approx(0.0, abs=1e-9)
    assert inputs["loop_z_mean"] == pytest.approx(0.0, abs=1e-9)
    # ... and a phone never seen falls back to all phones ("*")
    assert norm.inputs([["ZH", norm.gop["*"][0], 9, "ZH", norm.loop["*"][0]]])[
        "phone_z_min"
    ] == pytest.approx(0.0, abs=1e-9)


def test_the_word_threshold_is_chosen_on_speakers_held_out():
    # Given the words of three speakers
    words = _words(_records(5))

    # When one speaker's expert labels are changed
    changed = [{**w, "label": 15 - w["label"]} if w["speaker"] == "0" else w for w in words]

    # Then the probabilities the threshold is chosen on are unchanged for that speaker (they
    # come from a model fitted without them) and changed for the others
    before, after = _held_out_probability(words), _held_out_probability(changed)
    held = np.array([w["speaker"] == "0" for w in words])
    assert np.allclose(before[held], after[held])
    assert not np.allclose(before[~held], after[~held])
    # ... and with fewer than three speakers none can be held out
    assert _held_out_probability([w for w in words if w["speaker"] != "2"]) is None


def _with_states(records: list[dict], seed: int) -> list[dict]:
    """`records` with made-up pooled encoder states: noise, plus the fluency score along one
    direction spread over the first 64 values."""
    rng = np.random.default_rng(seed)
    direction = np.zeros(1024)
    direction[:64] = 1.0
    return [
        {**r, "encoder": rng.normal(0, 1, 1024) + direction * (r["labels"]["fluency"] - 7.5)}
        for r in records
    ]


def test_training_is_deterministic():
    # Given the same measurements (and encoder states) twice
    # When the model is fitted on each
    first = fit(_with_states(_records(7), 1)).to_dict()
    second = fit(_with_states(_records(7), 1)).to_dict()

    # Then the artefacts are identical, and carry the encoder's scores
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    assert first["encoder"] is not None and first["encoder"]["weight"] == 0.5


def test_the_encoder_scores_learn_from_the_states_and_are_one_linear_map():
    # Given clips whose pooled states carry their fluency along one direction among noise
    records = _with_states(_records(11), 2)

    # When the encoder's scores are fitted (components and penalty chosen by speaker-wise CV)
    encoder = fit_encoder(records)

    # Then the fitted map (projection and regression in one) ranks new clips as the experts
    # did, and reads the values that carry the score
    new = _with_states(_records(12), 3)
    predicted = [encoder.value("fluency", r["encoder"]) for r in new]
    expert = [r["labels"]["fluency"] for r in new]
    assert np.corrcoef(predicted, expert)[0, 1] > 0.8
    coef = np.abs(np.array(encoder.coef["fluency"]))
    assert coef[:64].mean() > 5 * coef[64:].mean()


CACHE = Path(__file__).resolve().parents[3] / "data" / "pronunciation" / "features.jsonl"


@pytest.mark.skipif(
    not CACHE.exists(),
    reason="the corpus measurements are made by `python -m pipelines.pronunciation.train`",
)
def test_the_shipped_artefact_is_what_training_on_the_corpus_measurements_gives():
    # Given the cached measurements and encoder states of the learner corpus and the
    # shipped artefact
    records = attach_states(read_measurements(CACHE), CACHE.parent / "encoder")
    shipped = json.loads(ARTEFACT.read_text())

    # When the final model is fitted again
    again = fit(records, shipped["cv"]).to_dict()

    # Then it is the shipped one
    assert json.dumps(again, sort_keys=True) == json.dumps(shipped, sort_keys=True)


def test_the_aligner_in_a_child_process_answers_as_the_one_in_this_process(tmp_path):
    # Given a sentence read aloud, and the aligner embedded mode runs in a child process
    from pipelines.pronunciation.align import Aligner, to_pcm
    from pipelines.pronunciation.child import ChildAligner

    audio = decode_audio(synthesise(SENTENCE, tmp_path / "reading.wav"))
    pcm = to_pcm(audio.samples)
    tokens = ["always", "waiting", "for", "the", "next", "season", "zxqwv"]
    child = ChildAligner()
    try:
        # When both look the words up and align the reading
        known, aligned = child.known_words(tokens), child.align(pcm, tokens[:-1])
    finally:
        child.close()
    # Then the child's answers are those of a new aligner in this process, phone by phone
    # (new on both sides: the decoders dither, and their random state moves with each decode)
    here = Aligner()
    assert known == here.known_words(tokens) == [True] * 6 + [False]
    assert aligned is not None and aligned == here.align(pcm, tokens[:-1])


def test_the_child_aligner_ends_with_a_parent_killed_without_its_exit_handlers():
    # Given a process whose aligner runs in a child process
    import os
    import subprocess
    import sys
    import time

    script = (
        "import os, sys\n"
        "from pipelines.pronunciation.child import ChildAligner\n"
        "child = ChildAligner()\n"
        "assert child.known_words(['season']) == [True]\n"
        "print(*child._pool._processes, flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    # When that process is killed
    run = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
        timeout=300,
    )
    assert run.returncode == -9, run.stderr
    pid = int(run.stdout.split()[0])
    # Then its child ends too, instead of waiting for work forever
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        os.kill(pid, 9)
        raise AssertionError("the child aligner outlived its parent")
