"""Fixtures for the speech pipeline tests: espeak-ng clips and one Whisper model per session."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipelines.transcription import Transcript, TranscriptionConfig, build_transcriber
from pipelines.transcription.local import LocalTranscriber

AUDIO_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "audio"


@pytest.fixture(scope="session")
def audio_dir() -> Path:
    return AUDIO_DIR


@pytest.fixture(scope="session")
def manifest() -> dict[str, dict[str, Any]]:
    """What each clip says (written by tests/fixtures/audio/make_fixtures.py)."""
    return json.loads((AUDIO_DIR / "manifest.json").read_text())


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("whisper-cache")


@pytest.fixture(scope="session")
def whisper(model_cache: Path) -> LocalTranscriber:
    """The bundled Whisper base model, assembled into a fresh cache and loaded once."""
    transcriber = build_transcriber(TranscriptionConfig(provider="local", cache_dir=model_cache))
    assert isinstance(transcriber, LocalTranscriber)
    return transcriber


@pytest.fixture(scope="session")
def transcribed(whisper: LocalTranscriber) -> Callable[[str], Transcript]:
    """Transcribe a fixture clip in English once per session; later calls reuse the result."""
    cache: dict[str, Transcript] = {}

    def get(name: str) -> Transcript:
        if name not in cache:
            cache[name] = whisper.transcribe(AUDIO_DIR / name, language="en")
        return cache[name]

    return get
