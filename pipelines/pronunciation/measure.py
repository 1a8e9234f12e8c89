"""What the pronunciation scores are computed from: the words to expect, their alignment to
the audio, per-word and per-clip measurements.

Reading (a reference text is known): the transcript (decoded with the text as context) is
aligned word by word with the reference. A decoder primed with the text tends to write the
text whatever was said, so a free transcript (decoded without it), when given, adds the
words it heard between reference words as candidate insertions, and the word it heard in a
reference word's place as evidence of a substitution. The reference words and the words
heard between them (insertions) are aligned to the audio in order; those the recogniser did
not hear, and the insertions, are optional (`WordMeasure.optional`), so the acoustics decide
whether each is there: a reference word the aligner skipped is an omission, an insertion it
kept was said (see `Aligner.align`). Free speech: the recognised words are aligned.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

import numpy as np

from pipelines.pronunciation.align import MIN_FRAMES_PER_PHONE, AlignedWord, aligner, to_pcm
from pipelines.pronunciation.phones import VOWELS, strip_stress
from pipelines.pronunciation.prosody import ProsodyMeasures, measure_prosody
from pipelines.transcription.alignment import align_tokens, normalise_tokens
from pipelines.transcription.types import Transcript

PAUSE_SECONDS = 0.15
BAD_GOP = -3.0  # nats per frame; a phone this far below the best free path is doubtful
SQUEEZED_FRAMES_PER_PHONE = MIN_FRAMES_PER_PHONE + 0.5
PHANTOM_GOP = -6.0  # an inserted word this bad has no speech under it

WORD_FEATURES = (
    "gop_mean",
    "gop_min",
    "gop_worst2",
    "bad_share",
    "frames_per_phone",
    "heard",
    "confidence",
    "phones",
    "g2p",
    "gop_rel",
    "gop_min_rel",
    "gop_sd",
    "loop_gop_mean",
    "loop_gop_min",
    "loop_disagree",
    "vowel_disagree",
    "vowel_gop_min",
    "zipf",
    "letters",
    "duration_rel",
    "first",
    "last",
    "neighbour_gop_rel",
)


@dataclass
class WordMeasure:
    """One expected (or inserted) word with its alignment and measurements."""

    text: str  # as normalised
    written: str  # as in the reference text (keeps punctuation for phrasing)
    kind: str  # "reference" or "inserted"
    reference_index: int | None
    heard_as: str | None  # the transcript word matched to it
    confidence: float | None
    aligned: AlignedWord | None = None
    features: dict[str, float] = field(default_factory=dict)
    repeats: bool = False  # an inserted word equal to a neighbour
    free_heard: str | None = None  # what the free transcript heard in this word's place
    has_free: bool = False  # whether a free transcript was given
    omitted: bool = False  # a reference word the aligner found no audio for (not said)

    @property
    def heard(self) -> bool:
        """Whether the recogniser heard this word: the free decode, when there is one, is
        the witness (a decoder primed with the text writes the text)."""
        return (self.free_heard if self.has_free else self.heard_as) == self.text

    @property
    def optional(self) -> bool:
        """Whether the aligner may find the word absent: an inserted word, or a reference
        word of a reading that the recogniser did not hear."""
        return self.kind == "inserted" or (self.reference_index is not None and not self.heard)

    @property
    def phantom(self) -> bool:
        """An inserted word with no speech under it: the recogniser's invention."""
        return self.kind == "inserted" and (
            self.squeezed or self.features.get("gop_mean", 0.0) < PHANTOM_GOP
        )

    @property
    def written_clean(self) -> str:
        return self.written.strip(".,;:!?\"'()[]")

    @property
    def squeezed(self) -> bool:
        return self.features.get("frames_per_phone", 99) <= SQUEEZED_FRAMES_PER_PHONE


@dataclass
class Measurement:
    words: list[WordMeasure]
    clip: dict[str, float]
    prosody: ProsodyMeasures | None
    reading: bool
    reference_tokens: list[str]
    dictionary_share: float


def _tokens(
    transcript: Transcript, reference: frozenset[str] = frozenset()
) -> list[tuple[str, float | None]]:
    """The transcript's tokens, numbers the recogniser wrote in digits spelled out as the
    reference has them (see `spell_number`)."""
    return [
        (spelled, w.probability)
        for w in transcript.words
        for token in normalise_tokens(w.text, "en")
        for spelled in spell_number(token, reference)
    ]


_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def _cardinal(n: int) -> list[str]:
    if n < 20:
        return [_ONES[n]]
    if n < 100:
        return [_TENS[n // 10]] + ([_ONES[n % 10]] if n % 10 else [])
    if n < 1000:
        rest = _cardinal(n % 100) if n % 100 else []
        return [_ONES[n // 100], "hundred", *rest]
    rest = _cardinal(n % 1000) if n % 1000 else []
    return [*_cardinal(n // 1000), "thousand", *rest]


def spell_number(token: str, reference: frozenset[str] = frozenset()) -> list[str]:
    """A token of digits (and hyphens: "741-2") as words: read digit by digit ("seven four
    one two") or as a number ("seven hundred forty one two"), whichever shares more words with
    the reference; any other token, or one the reference itself writes in digits, as it is."""
    parts = token.split("-")
    if token in reference or not all(p.isdigit() and len(p) <= 6 for p in parts):
        return [token]
    digits = [_ONES[int(c)] for p in parts for c in p]
    number = [w for p in parts for w in _cardinal(int(p))]
    return max((number, digits), key=lambda ws: sum(w in reference for w in ws))


def expected_words(
    transcript: Transcript, reference_text: str | None, free: Transcript | None = None
) -> tuple[list[WordMeasure], list[str]]:
    """The words to align: reference words with inserted words in their places."""
    reference = frozenset(normalise_tokens(reference_text or "", "en"))
    said_tokens = _tokens(transcript, reference)
    hyp = [t for t, _ in said_tokens]
    if not reference:
        words = [WordMeasure(t, t, "reference", None, t, p) for t, p in said_tokens]
        return words, []
    written = reference_text.split()
    ref: list[str] = []
    ref_written: list[str] = []
    for piece in written:
        tokens = normalise_tokens(piece, "en")
        for j, token in enumerate(tokens):
            ref.append(token)
            ref_written.append(piece if j == len(tokens) - 1 else token)
    alignment = align_tokens(ref, hyp)
    words: list[WordMeasure] = []
    matched = {j for j in alignment.matches if j is not None}
    # Insertions go before the next reference word whose match comes after them.
    next_hyp = 0
    for i, token in enumerate(ref):
        j = alignment.matches[i]
        if j is not None:
            for k in range(next_hyp, j):
                if k not in matched:
                    words.append(
                        WordMeasure(hyp[k], hyp[k], "inserted", None, hyp[k], said_tokens[k][1])
                    )
            next_hyp = max(next_hyp, j + 1)
        words.append(
            WordMeasure(
                token,
                ref_written[i],
                "reference",
                i,
                hyp[j] if j is not None else None,
                said_tokens[j][1] if j is not None else None,
            )
        )
    for k in range(next_hyp, len(hyp)):
        if k not in matched:
            words.append(WordMeasure(hyp[k], hyp[k], "inserted", None, hyp[k], said_tokens[k][1]))
    if free is not None:
        words = _merge_free(words, ref, _tokens(free, reference))
    for i, w in enumerate(words):
        neighbours = {words[j].text for j in (i - 1, i + 1) if 0 <= j < len(words)}
        w.repeats = w.kind == "inserted" and w.text in neighbours
    return words, ref


def _merge_free(
    words: list[WordMeasure], ref: list[str], free: list[tuple[str, float | None]]
) -> list[WordMeasure]:
    """Add the free transcript's insertions (before the reference word they precede) and its
    substitutions (as `free_heard`)."""
    alignment = align_tokens(ref, [t for t, _ in free])
    matched = {j for j in alignment.matches if j is not None}
    before: dict[int, list[tuple[str, float | None]]] = {}
    next_ref = 0
    owner = {j: i for i, j in enumerate(alignment.matches) if j is not None}
    for j, (token, probability) in enumerate(free):
        if j in owner:
            next_ref = owner[j] + 1
        elif j not in matched:
            before.setdefault(next_ref, []).append((token, probability))
    for w in words:
        w.has_free = True
        if w.kind == "reference" and w.reference_index is not None:
            j = alignment.matches[w.reference_index]
            w.free_heard = free[j][0] if j is not None else None
    merged: list[WordMeasure] = []
    for w in words:
        index = w.reference_index if w.kind == "reference" else None
        if index is not None:
            present = {x.text for x in merged[-3:] if x.kind == "inserted"}
            for token, probability in before.pop(index, []):
                if token not in present:
                    merged.append(WordMeasure(token, token, "inserted", None, token, probability))
        merged.append(w)
    present = {x.text for x in merged[-3:] if x.kind == "inserted"}
    for tokens in before.values():
        merged.extend(
            WordMeasure(t, t, "inserted", None, t, p) for t, p in tokens if t not in present
        )
    return merged


def measure(
    samples: np.ndarray,
    sample_rate: int,
    transcript: Transcript,
    reference_text: str | None,
    free: Transcript | None = None,
) -> Measurement | None:
    """Align and measure; None when the audio cannot be aligned to the words at all."""
    words, ref = expected_words(transcript, reference_text, free)
    engine = aligner()
    in_dict = engine.known_words([w.text for w in words if w.kind == "reference"])
    share = sum(in_dict) / len(in_dict) if in_dict else 0.0
    pcm = to_pcm(samples)
    aligned = _align(engine, pcm, words) if words else None
    if aligned is None and any(w.kind == "inserted" for w in words):
        # A recogniser that ran on past the speech ("thank you very much" in the trailing
        # silence) can leave more words than the audio can hold: align the text alone.
        words = [w for w in words if w.kind != "inserted"]
        aligned = _align(engine, pcm, words)
    if aligned is None:
        return None
    for item in aligned:
        words[item.index].aligned = item
    for w in words:
        w.omitted = w.kind == "reference" and w.optional and w.aligned is None
    for w in words:
        w.features = word_features(w)
    add_relative_features([w.features for w in words if w.kind == "reference"])
    spoken = [w for w in words if w.aligned is not None and not w.phantom]
    prosody = None
    if spoken:
        prosody = measure_prosody(
            samples,
            sample_rate,
            [(w.written, w.aligned.start, w.aligned.end, len(w.aligned.phones)) for w in spoken],
            reference_text or transcript.text,
        )
    return Measurement(
        words=words,
        clip=clip_features(words, transcript, prosody),
        prosody=prosody,
        reading=bool(ref),
        reference_tokens=ref,
        dictionary_share=share,
    )


def _align(engine, pcm: bytes, words: list[WordMeasure]):
    optional = frozenset(i for i, w in enumerate(words) if w.optional)
    return engine.align(pcm, [w.text for w in words], optional)


def word_features(w: WordMeasure) -> dict[str, float]:
    if w.aligned is None or not w.aligned.phones:
        return {}
    from wordfreq import zipf_frequency

    phones = w.aligned.phones
    gops = sorted(p.gop for p in phones)
    frames = sum(p.frames for p in phones)
    expected = [strip_stress(p.phone) for p in phones]
    vowels = [p for p, e in zip(phones, expected, strict=True) if e in VOWELS]
    differs = [p.heard != e for p, e in zip(phones, expected, strict=True)]
    return {
        "gop_mean": statistics.fmean(gops),
        "gop_min": gops[0],
        "gop_worst2": statistics.fmean(gops[:2]),
        "bad_share": sum(g < BAD_GOP for g in gops) / len(gops),
        "frames_per_phone": frames / len(gops),
        "heard": 1.0 if w.heard_as is not None and w.heard_as == w.text else 0.0,
        "confidence": w.confidence if w.confidence is not None else 0.0,
        "phones": float(len(gops)),
        "g2p": 1.0 if w.aligned.from_g2p else 0.0,
        "gop_sd": statistics.pstdev(gops),
        # The forced path against the free phone loop's over the same frames.
        "loop_gop_mean": statistics.fmean(p.loop_gop for p in phones),
        "loop_gop_min": min(p.loop_gop for p in phones),
        # The free phone loop heard another phone than the one expected.
        "loop_disagree": sum(differs) / len(differs),
        "vowel_disagree": (
            sum(p.heard != strip_stress(p.phone) for p in vowels) / len(vowels) if vowels else 0.0
        ),
        "vowel_gop_min": min((p.gop for p in vowels), default=gops[0]),
        # Rare and long words are the ones learners most often get wrong.
        "zipf": zipf_frequency(w.text, "en"),
        "letters": float(len(w.text)),
    }


def phone_rows(phones) -> list[list]:
    """[phone, GOP, frames, phone heard, loop GOP] of each aligned phone (the model's
    phone inputs; rounded as the corpus measurements keep them)."""
    return [
        [strip_stress(p.phone), round(p.gop, 4), p.frames, p.heard, round(p.loop_gop, 4)]
        for p in phones
    ]


def add_relative_features(rows: list[dict[str, float]]) -> None:
    """Each word against the other words of its recording: its GOP against the median word
    ("gop_rel", "gop_min_rel"; a voice or microphone the acoustic model fits badly lowers
    every word alike, while a mispronounced word stands out from the speaker's own others),
    its time per phone against the median word ("duration_rel", log ratio: hesitation and
    spelled-out reading stretch a word), its place ("first", "last") and its neighbours'
    relative GOP ("neighbour_gop_rel": alignment errors spill over word boundaries)."""
    scored = [r for r in rows if r]
    if not scored:
        return
    median = statistics.median(r["gop_mean"] for r in scored)
    pace = statistics.median(r["frames_per_phone"] for r in scored)
    for i, r in enumerate(scored):
        r["gop_rel"] = r["gop_mean"] - median
        r["gop_min_rel"] = r["gop_min"] - median
        r["duration_rel"] = math.log(max(1e-3, r["frames_per_phone"]) / max(1e-3, pace))
        r["first"] = 1.0 if i == 0 else 0.0
        r["last"] = 1.0 if i == len(scored) - 1 else 0.0
    for i, r in enumerate(scored):
        near = [scored[j]["gop_rel"] for j in (i - 1, i + 1) if 0 <= j < len(scored)]
        r["neighbour_gop_rel"] = min(near) if near else 0.0


def clip_features(
    words: list[WordMeasure], transcript: Transcript, prosody: ProsodyMeasures | None
) -> dict[str, float]:
    spoken = [w for w in words if w.aligned is not None and w.features and not w.phantom]
    phones = [p for w in spoken for p in w.aligned.phones]
    if not spoken or not phones:
        return {}
    gops = [p.gop for p in phones]
    start, end = spoken[0].aligned.start, spoken[-1].aligned.end
    span = max(0.01, end - start)
    gaps = [b.aligned.start - a.aligned.end for a, b in zip(spoken, spoken[1:], strict=False)]
    pauses = [g for g in gaps if g >= PAUSE_SECONDS]
    reference = [w for w in words if w.kind == "reference"]
    confidences = [w.confidence for w in words if w.confidence is not None]
    features = {
        "gop_mean": statistics.fmean(gops),
        "gop_median": statistics.median(gops),
        "gop_p10": float(np.percentile(gops, 10)),
        "bad_phone_share": sum(g < BAD_GOP for g in gops) / len(gops),
        "word_gop_min_mean": statistics.fmean(w.features["gop_min"] for w in spoken),
        "heard_share": sum(w.heard_as == w.text for w in reference) / max(1, len(reference)),
        "squeezed_share": sum(w.squeezed for w in reference) / max(1, len(reference)),
        "inserted": float(sum(w.kind == "inserted" and not w.phantom for w in words)),
        "confidence_mean": statistics.fmean(confidences) if confidences else 0.0,
        "phones_per_second": len(phones) / span,
        "articulation_rate": len(phones) / max(0.01, span - sum(pauses)),
        "pause_count": float(len(pauses)),
        "pause_ratio": sum(pauses) / span,
        "longest_pause": max(pauses, default=0.0),
        "lead_silence": start,
        "words": float(len(reference)),
        "span": span,
        "gop_sd": float(np.std(gops)),
        "gop_p25": float(np.percentile(gops, 25)),
        "loop_gop_mean": statistics.fmean(p.loop_gop for p in phones),
        "loop_disagree_share": sum(p.heard != strip_stress(p.phone) for p in phones) / len(phones),
        "word_gop_rel_min": min(w.features.get("gop_rel", 0.0) for w in spoken),
        "words_per_second": len(spoken) / span,
        "pause_mean": statistics.fmean(pauses) if pauses else 0.0,
        "duration_rel_sd": float(np.std([w.features.get("duration_rel", 0.0) for w in spoken])),
    }
    if prosody is not None:
        features.update(
            {
                "pitch_range_st": prosody.pitch_range_st,
                "pitch_sd_st": prosody.pitch_sd_st,
                "intensity_sd_db": prosody.intensity_sd_db,
                "voiced_share": prosody.voiced_share,
                "internal_pauses": float(prosody.internal_pauses),
                "final_matches": float(prosody.final_matches),
                "duration_cv": prosody.duration_cv,
            }
        )
    return features
