"""Prosody measured with Praat (parselmouth): pitch, loudness, phrasing and the final tune.

| measure                 | definition                                                        |
|-------------------------|-------------------------------------------------------------------|
| pitch range             | 90th - 10th percentile of voiced F0, in semitones                 |
| pitch variation         | standard deviation of voiced F0, semitones (monotony when < 2)    |
| intensity variation     | standard deviation of intensity over voiced frames, dB            |
| voiced share            | voiced frames / frames of the speech span                         |
| pauses at boundaries    | silent gaps >= 150 ms after a word that ends a phrase (, ; : . ? !) |
| pauses inside phrases   | the same gaps anywhere else                                       |
| final movement          | F0 slope over the last 25 % of voiced speech (> +2 st: rise,      |
|                         | < -2 st: fall) against the sentence type (question or statement)  |
| syllable-rate variation | coefficient of variation of word durations per phone (rhythm)     |

F0 is tracked between 60 and 500 Hz (children and adults); silences and unvoiced frames are
left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

BOUNDARY_PAUSE_SECONDS = 0.15
_PHRASE_END = (",", ";", ":", ".", "?", "!")


@dataclass(frozen=True)
class ProsodyMeasures:
    pitch_range_st: float
    pitch_sd_st: float
    intensity_sd_db: float
    voiced_share: float
    boundary_pauses: int
    internal_pauses: int
    boundaries: int
    final_movement_st: float
    final_expected: str  # "rise" for a yes/no question, else "fall"
    final_matches: bool
    duration_cv: float
    monotone: bool

    def to_dict(self) -> dict:
        return asdict(self)


def measure_prosody(
    samples: np.ndarray,
    sample_rate: int,
    words: Sequence[tuple[str, float, float, int]],
    sentence: str,
) -> ProsodyMeasures:
    """`words`: (text as written, start s, end s, phones) in order; `sentence`: the text."""
    import parselmouth

    sound = parselmouth.Sound(np.asarray(samples, dtype=np.float64), sampling_frequency=sample_rate)
    pitch = sound.to_pitch(time_step=0.01, pitch_floor=60.0, pitch_ceiling=500.0)
    f0 = pitch.selected_array["frequency"]
    times = pitch.xs()
    start = words[0][1] if words else 0.0
    end = words[-1][2] if words else sound.duration
    span = (times >= start) & (times <= end)
    voiced = span & (f0 > 0)
    semitones = 12 * np.log2(np.maximum(f0[voiced], 1.0) / 100.0)
    intensity = sound.to_intensity(minimum_pitch=60.0, time_step=0.01)
    levels = np.interp(times[voiced], intensity.xs(), intensity.values[0]) if voiced.any() else []

    pitch_range = pitch_sd = 0.0
    if semitones.size > 4:
        pitch_range = float(np.percentile(semitones, 90) - np.percentile(semitones, 10))
        pitch_sd = float(np.std(semitones))
    final = _final_movement(times[voiced], semitones)
    expected = "rise" if _yes_no_question(sentence) else "fall"
    matches = (final > 2.0) if expected == "rise" else (final < 2.0)

    boundary = internal = boundaries = 0
    for i, (text, _, word_end, _) in enumerate(words[:-1]):
        at_boundary = text.rstrip().endswith(_PHRASE_END)
        boundaries += at_boundary
        if words[i + 1][1] - word_end >= BOUNDARY_PAUSE_SECONDS:
            if at_boundary:
                boundary += 1
            else:
                internal += 1
    per_phone = [(e - s) / max(1, n) for _, s, e, n in words if e > s]
    cv = float(np.std(per_phone) / np.mean(per_phone)) if len(per_phone) > 1 else 0.0
    return ProsodyMeasures(
        pitch_range_st=round(pitch_range, 2),
        pitch_sd_st=round(pitch_sd, 2),
        intensity_sd_db=round(float(np.std(levels)), 2) if len(levels) else 0.0,
        voiced_share=round(float(voiced.sum() / max(1, span.sum())), 3),
        boundary_pauses=boundary,
        internal_pauses=internal,
        boundaries=boundaries,
        final_movement_st=round(final, 2),
        final_expected=expected,
        final_matches=bool(matches),
        duration_cv=round(cv, 3),
        monotone=bool(semitones.size > 4 and pitch_sd < 2.0),
    )


def _final_movement(times: np.ndarray, semitones: np.ndarray) -> float:
    """F0 change (semitones) fitted over the last quarter of the voiced frames."""
    if semitones.size < 8:
        return 0.0
    tail = max(4, semitones.size // 4)
    t, st = times[-tail:], semitones[-tail:]
    if np.ptp(t) <= 0:
        return 0.0
    slope = np.polyfit(t, st, 1)[0]
    return float(slope * np.ptp(t))


_AUXILIARIES = (
    "do",
    "does",
    "did",
    "is",
    "are",
    "was",
    "were",
    "can",
    "could",
    "will",
    "would",
    "shall",
    "should",
    "have",
    "has",
    "had",
    "may",
    "might",
    "must",
    "am",
)


def _yes_no_question(sentence: str) -> bool:
    text = sentence.strip()
    if not text.endswith("?"):
        return False
    first = text.split()[0].lower().strip("\"'") if text.split() else ""
    return first in _AUXILIARIES
