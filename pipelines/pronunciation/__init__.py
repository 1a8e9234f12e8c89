"""Pronunciation assessment: reading checked against its text, per-word and per-phoneme
scores, prosody, and sub-scores fitted on expert ratings.

    result = assess_recording("answer.wav", transcript, reference_text="...", language="en")
    result.to_dict()  # {method, judged, accuracy, fluency, completeness, prosody, overall,
                      #  words[{word, accuracy, error_type, start, end, phonemes[...]}], ...}

English uses forced alignment and goodness of pronunciation with PocketSphinx, and the
Whisper encoder's states for the clip scores ("gop-pocketsphinx-whisper-v5"); other
languages keep the recogniser's confidence ("asr-confidence"). Plain Python: no web
framework or database.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.audio import DEFAULT_MAX_SECONDS, AudioSource, decode_audio
from pipelines.pronunciation.assess import (
    FALLBACK_METHOD,
    METHOD,
    PhonemeResult,
    PronunciationResult,
    WordResult,
    asr_confidence,
    assess_pronunciation,
)
from pipelines.transcription.types import Transcript


def assess_recording(
    audio: AudioSource,
    transcript: Transcript,
    *,
    reference_text: str | None = None,
    language: str | None = None,
    free_transcript: Transcript | None = None,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    whisper_cache_dir: Path | None = None,
) -> PronunciationResult:
    """Decode `audio` and assess it with its transcript(s) (see `assess_pronunciation`)."""
    code = (language or transcript.language or "").split("-")[0].lower()
    if code != "en":
        return asr_confidence(
            transcript,
            "Phoneme-level scoring exists for English only; "
            "this score is the recogniser's word confidence.",
        )
    decoded = decode_audio(audio, max_seconds=max_seconds)
    return assess_pronunciation(
        decoded.samples,
        decoded.sample_rate,
        transcript,
        reference_text=reference_text,
        language=code,
        free_transcript=free_transcript,
        whisper_cache_dir=whisper_cache_dir,
    )


__all__ = [
    "FALLBACK_METHOD",
    "METHOD",
    "PhonemeResult",
    "PronunciationResult",
    "WordResult",
    "assess_pronunciation",
    "assess_recording",
]
