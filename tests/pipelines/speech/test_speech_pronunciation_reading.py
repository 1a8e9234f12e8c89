"""Reading against its text with the real aligner: words the speaker left out are found by
the acoustics (a grammar in which they are optional), numbers written in digits match the
words read, the same audio always gets the same scores, and the synthetic test set is
varied and reproducible."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.audio import decode_audio
from pipelines.pronunciation.align import _path, aligner, has_digital_silence, to_pcm
from pipelines.pronunciation.measure import measure, spell_number
from pipelines.pronunciation.synthetic import MIN_WORDS, cases, choose_sentences, synthesise
from pipelines.transcription import Transcript, Word


def _transcript(text: str) -> Transcript:
    words = [Word(w, 0.3 * i, 0.3 * i + 0.25, 0.9) for i, w in enumerate(text.split())]
    return Transcript(
        text=text,
        language="en",
        language_probability=1.0,
        duration=3.0,
        segments=[],
        words=words,
        provider="test",
        model="test",
    )


@pytest.fixture(scope="module")
def spoken(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spoken")

    def speak(text: str):
        return decode_audio(synthesise(text, folder / f"{abs(hash(text))}.wav"))

    return speak


def _reading(spoken, said: str, primed: str, free: str, reference: str):
    """`said` spoken by espeak-ng, measured as a reading of `reference` with these decodes."""
    audio = spoken(said)
    return measure(
        audio.samples, audio.sample_rate, _transcript(primed), reference, free=_transcript(free)
    )


def test_a_word_the_recogniser_missed_and_the_audio_lacks_is_an_omission(spoken):
    # Given "the next season" read without "next", and transcripts that did not hear it
    said = "Always waiting for the season."

    # When the reading is measured against the full text
    m = _reading(spoken, said, said, said, "Always waiting for the next season.")

    # Then "next" is omitted, with no frames, and its neighbours keep their own frames
    omitted = [w.text for w in m.words if w.omitted]
    assert omitted == ["next"]
    the, season = (next(w for w in m.words if w.text == t) for t in ("the", "season"))
    assert season.aligned.start - the.aligned.end < 0.2


def test_a_word_the_recogniser_missed_but_the_audio_holds_is_kept(spoken):
    # Given the whole sentence read, and a free transcript that missed "next"
    said = "Always waiting for the next season."

    # When it is measured
    m = _reading(spoken, said, said, "Always waiting for the season", said)

    # Then no word is omitted: the aligner found "next" in the audio
    assert [w.text for w in m.words if w.omitted] == []
    assert next(w for w in m.words if w.text == "next").aligned is not None


def test_an_extra_word_the_audio_lacks_is_dropped_and_one_it_holds_is_kept(spoken):
    # Given a reading with "green" added, and a free transcript that also invented "blue"
    said = "Always waiting for the green season."

    # When it is measured against the text without them
    m = _reading(
        spoken,
        said,
        "Always waiting for the season",
        "Always waiting blue for the green season",
        "Always waiting for the season.",
    )

    # Then "green" is aligned as an insertion and "blue", with no audio, is not
    inserted = {w.text: w.aligned is not None for w in m.words if w.kind == "inserted"}
    assert inserted == {"blue": False, "green": True}


def test_the_last_word_of_audio_ending_in_digital_silence_keeps_its_own_frames(spoken):
    # Given a sentence spoken by espeak-ng, whose recording ends in exact zeros
    audio = spoken("You coming back for the games.")
    samples = audio.samples
    loud = np.nonzero(np.abs(samples) > 0.01)[0]
    speech_end = loud[-1] / audio.sample_rate
    assert has_digital_silence(samples)

    # When it is aligned
    words = aligner().align(to_pcm(samples), ["you", "coming", "back", "for", "the", "games"])

    # Then "games" runs to the end of the speech (not cut short with the rest left to
    # silence) and its phones score like the others' rather than like a wrong word's
    games = words[-1]
    assert games.end >= speech_end - 0.1
    gops = [sum(p.gop for p in w.phones) / len(w.phones) for w in words]
    assert gops[-1] > min(gops[:-1]) - 1.0


def test_recorded_speech_is_dithered_as_before_and_only_digital_silence_gets_a_floor():
    # Given a recording with a background hiss and the same with a stretch of exact zeros
    rng = np.random.default_rng(3)
    hiss = (rng.normal(0, 0.002, 16000)).astype(np.float32)
    gated = hiss.copy()
    gated[4000:6000] = 0.0

    # When each is made into PCM for the decoder
    plain = np.frombuffer(to_pcm(hiss), dtype="<i2").astype(int)
    floored = np.frombuffer(to_pcm(gated), dtype="<i2").astype(int)

    # Then the recording is its 16-bit samples plus at most one unit of dither, and the
    # digital silence is filled with noise well above one unit
    assert not has_digital_silence(hiss) and has_digital_silence(gated)
    assert np.abs(plain - (hiss * 32767).astype(int)).max() <= 1
    assert np.abs(floored[4000:6000]).mean() > 10


def test_the_same_audio_gets_the_same_scores(spoken):
    # Given one recording
    audio = spoken("Always waiting for the next season.")
    tokens = ["always", "waiting", "for", "the", "next", "season"]

    # When it is aligned twice, with other audio aligned in between
    first = aligner().align(to_pcm(audio.samples), tokens)
    aligner().align(to_pcm(spoken("Seven four one two.").samples), ["seven", "four", "one"])
    second = aligner().align(to_pcm(audio.samples), tokens)

    # Then every phone has the same frames, forced-alignment score and phone heard (the
    # dither is seeded per recording); the phone loop's own segment scores still vary a
    # little between decodes in PocketSphinx, far less than a phone's spread
    def fixed(words):
        return [(p.phone, p.start, p.frames, p.score, p.heard) for w in words for p in w.phones]

    assert fixed(first) == fixed(second)
    loop = [
        abs(a.loop_gop - b.loop_gop)
        for v, w in zip(first, second, strict=True)
        for a, b in zip(v.phones, w.phones, strict=True)
    ]
    assert max(loop) < 0.5


def test_the_path_found_skips_only_optional_words():
    # Given the words expected, of which the second may be absent
    entries, optional = ["a", "the", "the", "b"], [False, True, False, False]

    # When the decoder's words are matched to them
    # Then a repeated word is matched so that only the optional one is skipped
    assert _path(entries, optional, ["a", "the", "b"]) == [0, 2, 3]
    assert _path(entries, optional, ["a", "the", "the", "b"]) == [0, 1, 2, 3]
    # ... and a path that skips a word that must be there is refused
    assert _path(entries, optional, ["a", "b"]) is None


def test_numbers_in_digits_are_read_as_the_reference_writes_them():
    reference = frozenset("seven four one two twenty".split())
    assert spell_number("741-2", reference) == ["seven", "four", "one", "two"]
    assert spell_number("20", reference) == ["twenty"]
    assert spell_number("1999") == ["one", "thousand", "nine", "hundred", "ninety", "nine"]
    assert spell_number("3", frozenset({"3"})) == ["3"]
    assert spell_number("season", reference) == ["season"]


def test_the_synthetic_set_is_varied_and_reproducible():
    # Given sentences of every length, some too short to drop a word from
    texts = ["Very", "One two three", *(" ".join(["word"] * n) + f" n{n}" for n in range(3, 12))]

    # When a set is chosen and its cases made
    chosen = choose_sentences(texts, 5)

    # Then only sentences that keep enough words when one is dropped are used, spread by length
    assert all(len(t.split()) >= MIN_WORDS for t in chosen) and len(chosen) == 5
    assert chosen == choose_sentences(list(reversed(texts)), 5)
    sentence = "Always waiting for the next season."
    first, again = cases(sentence, seed=3), cases(sentence, seed=3)
    assert first == again
    dropped = first[2]
    assert dropped.kind == "omission" and len(dropped.spoken.split()) == 5
    inserted = first[3]
    words = inserted.spoken.split()
    assert words[inserted.target] == inserted.inserted and len(words) == 7


def _skipped(heard_as: str | None, free_heard: str | None, has_free: bool = True):
    """The reference word "walk", which the aligner found no audio for."""
    from pipelines.pronunciation.measure import WordMeasure

    word = WordMeasure(
        "walk", "walk", "reference", 2, heard_as, 0.4, free_heard=free_heard, has_free=has_free
    )
    word.omitted = True
    return word


def test_a_skipped_word_every_decode_heard_as_another_is_a_substitution_not_an_omission():
    from pipelines.pronunciation.assess import judge_words
    from pipelines.pronunciation.measure import Measurement

    # Given skipped words: heard as "weak" by both decodes; by the primed decode only; by
    # neither; and, for free speech (no free decode), by the one decode
    cases = {
        "both": _skipped("weak", "weak"),
        "primed only": _skipped("weak", None),
        "neither": _skipped(None, None),
        "one decode": _skipped("weak", None, has_free=False),
    }

    # When they are judged
    judged = {}
    for name, word in cases.items():
        m = Measurement(
            words=[word],
            clip={},
            prosody=None,
            reading=True,
            reference_tokens=["walk"],
            dictionary_share=1.0,
        )
        judged[name] = judge_words(m)[0]

    # Then a word every decode heard as another is a substitution by it, the rest omissions
    assert {k: (w.error_type, w.heard_as) for k, w in judged.items()} == {
        "both": ("substitution", "weak"),
        "primed only": ("omission", None),
        "neither": ("omission", None),
        "one decode": ("substitution", "weak"),
    }
