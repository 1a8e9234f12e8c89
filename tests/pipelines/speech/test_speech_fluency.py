"""Fluency measures: pauses, runs, rates, fillers and syllables, on timed words and real clips."""

from __future__ import annotations

import pytest

from pipelines.fluency import count_syllables, measure_fluency
from pipelines.transcription import Word


def timed(*spec: tuple[str, float, float], probability: float = 0.9) -> list[Word]:
    return [Word(text, start, end, probability) for text, start, end in spec]


def test_pauses_are_classified_and_placed():
    # Given words separated by gaps of 0.1, 0.3, 0.6 and 1.5 seconds
    words = timed(
        ("one", 0.0, 0.4),
        ("two", 0.5, 0.9),
        ("three", 1.2, 1.6),
        ("four", 2.2, 2.6),
        ("five", 4.1, 4.5),
    )

    # When fluency is measured
    m = measure_fluency(words, "en", total_duration=5.0)

    # Then three pauses count (>= 250 ms), two of them medium or longer, one long,
    # each placed after the right word and at the right time
    assert m.pause_count == 3 and m.medium_pause_count == 2 and m.long_pause_count == 1
    assert [(p.after_word, p.start, p.end, p.kind) for p in m.pauses] == [
        (1, 0.9, 1.2, "short"),
        (2, 1.6, 2.2, "medium"),
        (3, 2.6, 4.1, "long"),
    ]
    assert m.pause_total == pytest.approx(2.4)
    # And runs are the words between pauses: [one two] [three] [four] [five]
    assert m.runs == [2, 1, 1, 1] and m.longest_run == 2 and m.mean_length_of_run == 1.25


def test_rates_use_the_speech_span_and_the_speaking_time():
    # Given six one-syllable words over 3 s of speech with 1 s of pauses, inside a 5 s file
    words = timed(
        ("I", 1.0, 1.3),
        ("like", 1.3, 1.6),
        ("tea", 1.6, 2.0),
        ("and", 2.5, 2.8),
        ("cake", 2.8, 3.5),
        ("too", 4.0, 4.0),
    )

    # When fluency is measured
    m = measure_fluency(words, "en", total_duration=5.0)

    # Then leading and trailing silence are left out and pauses are taken off speaking time
    assert m.speech_span == pytest.approx(3.0) and m.total_duration == 5.0
    assert m.speaking_time == pytest.approx(2.0)
    assert m.syllable_count == 6
    assert m.speech_rate_wpm == pytest.approx(120.0)
    assert m.speech_rate_sps == pytest.approx(2.0)
    assert m.articulation_rate == pytest.approx(3.0)
    assert m.pause_ratio == pytest.approx(1 / 3, abs=1e-3)


def test_english_fillers_are_found_and_kept_out_of_runs():
    # Given an answer with "um", "uh" and the phrase "you know"
    words = timed(
        ("Um,", 0.0, 0.3),
        ("I", 0.3, 0.4),
        ("think,", 0.4, 0.7),
        ("uh,", 0.7, 1.0),
        ("you", 1.0, 1.1),
        ("know", 1.1, 1.3),
        ("it", 1.3, 1.4),
        ("works.", 1.4, 1.8),
    )

    # When fluency is measured
    m = measure_fluency(words, "en")

    # Then four filler words are found and the run counts only the four real words
    assert m.fillers == ["Um,", "uh,", "you", "know"]
    assert m.filler_count == 4 and m.fillers_per_100_words == 50.0
    assert m.runs == [4]


@pytest.mark.parametrize(
    ("language", "texts", "expected"),
    [
        ("fr", ["Euh", "je", "pense", "que", "euh", "oui"], 2),
        ("es", ["Eh", "pues", "me", "gusta", "o", "sea", "mucho"], 4),
        ("de", ["Ähm", "ich", "finde", "das", "halt", "gut"], 2),
        ("ja", ["えーと", "私", "は", "あのー", "学生", "です"], 2),
        ("en", ["I", "like", "kind", "people"], 0),
    ],
)
def test_fillers_per_language(language: str, texts: list[str], expected: int):
    # Given words of a language with its hesitation words
    words = [Word(t, i * 0.3, i * 0.3 + 0.25, 0.9) for i, t in enumerate(texts)]

    # When fluency is measured, Then the fillers of that language are counted
    assert measure_fluency(words, language).filler_count == expected


@pytest.mark.parametrize(
    ("text", "language", "syllables"),
    [
        ("vegetables", "en", 4),
        ("home", "en", 1),
        ("patience", "en", 2),
        ("language", "en", 2),
        ("opened", "en", 2),
        ("the", "en", 1),
        ("día", "es", 2),
        ("ciudad", "es", 2),
        ("leer", "es", 2),
        ("porte", "fr", 1),
        ("maison", "fr", 2),
        ("Schule", "de", 2),
        ("がっこう", "ja", 4),
        ("学校へ行きました", "ja", 10),
        ("ちょっと", "ja", 3),
        ("학교", "ko", 2),
        ("привет", "ru", 2),
        ("...", "en", 0),
    ],
)
def test_syllable_and_mora_counts(text: str, language: str, syllables: int):
    # Given a word, When its syllables (Japanese morae) are counted, Then the count is right
    assert count_syllables(text, language) == syllables


def test_no_words_measure_as_zero():
    # Given an empty word list, When fluency is measured, Then every measure is zero
    m = measure_fluency([], "en", total_duration=2.0)
    assert (m.word_count, m.pause_count, m.speech_rate_wpm) == (0, 0, 0.0)
    assert m.mean_word_confidence is None and m.total_duration == 2.0


def test_the_long_pause_clip_shows_its_pause(transcribed, manifest):
    # Given two sentences joined by 2 s of silence
    clip = manifest["en_long_pause.wav"]
    transcript = transcribed("en_long_pause.wav")

    # When fluency is measured
    m = measure_fluency(transcript.words, "en", transcript.duration)

    # Then the pause list has one long pause of about 2 s after "early." (the 6th word)
    long_pauses = [p for p in m.pauses if p.kind == "long"]
    assert len(long_pauses) == 1
    pause = long_pauses[0]
    assert pause.after_word == clip["pause_after_words"] - 1
    assert transcript.words[pause.after_word].text.strip(".").lower() == "early"
    assert clip["pause_seconds"] - 0.2 <= pause.duration <= clip["pause_seconds"] + 0.8
    assert m.long_pause_count == 1 and m.pause_total >= pause.duration


def test_fluent_and_paced_clips_differ_in_every_temporal_measure(transcribed):
    # Given the same sentence spoken fluently and with a gap after every word
    fluent_t, paced_t = transcribed("en_fluent.wav"), transcribed("en_paced.wav")

    # When both are measured
    fluent = measure_fluency(fluent_t.words, "en", fluent_t.duration)
    paced = measure_fluency(paced_t.words, "en", paced_t.duration)

    # Then the paced one is slower, pauses more and in longer pauses, with shorter runs
    assert fluent.speech_rate_wpm > 2 * paced.speech_rate_wpm
    assert fluent.long_pause_count == 0 and paced.long_pause_count >= 8
    assert paced.mean_length_of_run < 2 <= fluent.mean_length_of_run
    assert paced.pause_ratio > 0.5 > fluent.pause_ratio
    # And articulation (speed while actually speaking) is similar: the same voice
    assert abs(fluent.articulation_rate - paced.articulation_rate) < 1.5
