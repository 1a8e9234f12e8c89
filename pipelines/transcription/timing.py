"""Tightening recogniser word times onto the audio, so silent pauses can be measured.

Whisper's word times come from cross-attention alignment and tend to stretch a word over the
silence that follows or precedes it: a 1 s hesitation can show up as a 0.4 s gap. Each word's
edges are moved inwards past frames that are silent in the signal itself. Words are only ever
shortened (never moved past a neighbour or extended), a word keeps at least 60 ms, and a word
with no voiced frame at all is left as the recogniser placed it.

Silence is relative to the recording: a 10 ms frame is silent when its RMS level is more than
35 dB below the loud speech level (95th percentile of frame levels) and no more than 6 dB above
the noise floor (10th percentile). A noisy room thus raises the threshold with its floor.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from pipelines.transcription.types import Word

FRAME_SECONDS = 0.01
DYNAMIC_RANGE_DB = 35.0
NOISE_MARGIN_DB = 6.0
MIN_WORD_SECONDS = 0.06


def frame_levels(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """RMS level in dBFS of consecutive 10 ms frames."""
    size = max(1, int(sample_rate * FRAME_SECONDS))
    usable = samples[: samples.size - samples.size % size].astype(np.float64)
    if usable.size == 0:
        return np.zeros(0)
    rms = np.sqrt(np.mean(usable.reshape(-1, size) ** 2, axis=1))
    return 20 * np.log10(np.maximum(rms, 1e-6))


def silence_threshold(levels: np.ndarray) -> float:
    if levels.size == 0:
        return -120.0
    loud = float(np.percentile(levels, 95))
    floor = float(np.percentile(levels, 10))
    return max(loud - DYNAMIC_RANGE_DB, floor + NOISE_MARGIN_DB)


def tighten_words(words: list[Word], samples: np.ndarray, sample_rate: int) -> list[Word]:
    """Words with silent leading and trailing frames trimmed off (see the module notes)."""
    levels = frame_levels(samples, sample_rate)
    if levels.size == 0 or not words:
        return list(words)
    voiced = levels > silence_threshold(levels)
    last = levels.size
    min_frames = max(1, round(MIN_WORD_SECONDS / FRAME_SECONDS))
    tightened = []
    for word in words:
        first = min(last, max(0, int(word.start / FRAME_SECONDS)))
        stop = min(last, max(first, int(np.ceil(word.end / FRAME_SECONDS))))
        if stop - first <= min_frames or not voiced[first:stop].any():
            tightened.append(word)
            continue
        begin, end = first, stop
        while begin < end - min_frames and not voiced[begin]:
            begin += 1
        while end > begin + min_frames and not voiced[end - 1]:
            end -= 1
        if (begin, end) == (first, stop):
            tightened.append(word)
            continue
        tightened.append(
            replace(
                word,
                start=round(max(word.start, begin * FRAME_SECONDS), 3),
                end=round(min(word.end, end * FRAME_SECONDS), 3),
            )
        )
    return tightened
