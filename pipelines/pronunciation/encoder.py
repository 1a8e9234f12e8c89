"""Whisper encoder states of a recording, pooled over the speech and over each word.

The Whisper model the transcription already loads (faster-whisper on CTranslate2) encodes
log-mel features in windows of up to 30 s into one 512-value state (base model) per 20 ms;
its last layer is all CTranslate2 exposes. A recording is encoded window by window, and the
states of the frames between two times are
averaged: the whole recording (mean and spread: what the clip scores read) and each aligned
word (mean).
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16_000
WINDOW_SECONDS = 30.0
STATE_SECONDS = 0.02  # one encoder state per 20 ms (two mel frames of 10 ms)


@dataclass(frozen=True)
class EncoderStates:
    """Encoder states, one row per STATE_SECONDS from the start of the recording."""

    states: np.ndarray  # (frames, width) float32

    def span(self, start: float, end: float) -> np.ndarray:
        """The states whose 20 ms fall inside [start, end] (at least the nearest one)."""
        # (the small margin keeps 0.2 s / 0.02 s from counting as just over 10 states)
        first = max(0, int(np.floor(start / STATE_SECONDS + 1e-6)))
        last = min(len(self.states), int(np.ceil(end / STATE_SECONDS - 1e-6)))
        if last <= first:
            first = min(max(0, first), len(self.states) - 1)
            last = first + 1
        return self.states[first:last]

    def mean(self, start: float, end: float) -> np.ndarray:
        return self.span(start, end).mean(axis=0)

    def mean_sd(self, start: float, end: float) -> np.ndarray:
        part = self.span(start, end)
        return np.concatenate([part.mean(axis=0), part.std(axis=0)])


def whisper_model(cache_dir: Path | None = None):
    """The process-wide WhisperModel of the bundled Whisper base model (the one the encoder
    scores were fitted on, whatever model the transcription is configured with): the one a
    local transcriber of this process already loaded, else the model assembled in
    `cache_dir` (the transcription's default when None) and loaded once."""
    from pipelines.transcription.local import choose_runtime, load_model, loaded_model
    from pipelines.transcription.model_store import bundled_name, resolve_model
    from pipelines.transcription.types import TranscriptionConfig

    try:
        model = loaded_model(bundled_name())
    except importlib.metadata.PackageNotFoundError:
        model = None  # resolve_model says which package is missing
    if model is not None:
        return model
    path = resolve_model("", Path(cache_dir or TranscriptionConfig().cache_dir))
    return load_model(path, choose_runtime(), 0)


def encode(samples: np.ndarray, sample_rate: int = SAMPLE_RATE, model=None) -> EncoderStates:
    """Encoder states of `samples` (mono float32 at 16 kHz), window by window.

    A window shorter than 30 s is encoded as it is, not padded with 30 s of silence as the
    decoder needs it: the encoder's cost grows with its input, and a 5 s reading padded to
    30 s would cost six times as much for the same speech frames."""
    from faster_whisper.transcribe import get_ctranslate2_storage

    if sample_rate != SAMPLE_RATE:
        raise ValueError(f"the Whisper encoder reads 16 kHz audio, not {sample_rate} Hz")
    model = model or whisper_model()
    window = int(WINDOW_SECONDS * SAMPLE_RATE)
    parts = []
    for offset in range(0, max(1, samples.size), window):
        chunk = samples[offset : offset + window]
        mel = model.feature_extractor(chunk)[:, :-1]  # (80, frames): 10 ms per frame
        frames = max(2, mel.shape[1] + mel.shape[1] % 2)  # the encoder halves the frames
        padded = np.zeros((1, mel.shape[0], frames), dtype=np.float32)
        padded[0, :, : mel.shape[1]] = mel
        output = model.model.encode(get_ctranslate2_storage(padded), to_cpu=False)
        parts.append(np.array(np.asarray(output)[0], dtype=np.float32))
    return EncoderStates(np.concatenate(parts))


def pooled_states(samples: np.ndarray, sample_rate: int = SAMPLE_RATE, model=None) -> np.ndarray:
    """The recording's encoder states pooled: each value's mean, then its spread."""
    states = encode(samples, sample_rate, model).states
    return pool(states)


def pool(states: np.ndarray) -> np.ndarray:
    return np.concatenate([states.mean(axis=0), states.std(axis=0)]).astype(float)
