"""Speech synthesis jobs (queue `conversation`): text spoken by an engine, stored as audio."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pipelines.synthesis import SynthesisConfig, Synthesizer, wav_bytes
from storage import usage
from storage.synthesis import store_speech
from workers import runtime
from workers.engine import JobContext, Outcome, job_actor


def synthesis_config(settings: Any) -> SynthesisConfig:
    return SynthesisConfig(
        engines=settings.synthesis_engines,
        openai_api_key=settings.openai_api_key,
        openai_base_url=settings.openai_tts_base_url or settings.openai_base_url,
        openai_model=settings.openai_tts_model,
        timeout=settings.llm_timeout_seconds,
    )


@lru_cache(maxsize=4)
def _synthesizer(config: SynthesisConfig) -> Synthesizer:
    return Synthesizer(config)


def synthesizer_for(settings: Any) -> Synthesizer:
    """One synthesizer per configuration and process (voice models load once)."""
    return _synthesizer(synthesis_config(settings))


@dataclass(frozen=True)
class Speech:
    wav: bytes
    duration: float
    voice: str
    engine: str
    sample_rate: int
    characters: int
    speed: float


def synthesise(
    settings: Any, text: str, voice: str | None, language: str | None, speed: float
) -> Speech:
    """Speak the text (the slow part, before any row is written)."""
    audio = synthesizer_for(settings).speak(text, voice=voice, language=language, speed=speed)
    wav, duration = wav_bytes(audio)
    return Speech(
        wav, duration, audio.voice.id, audio.voice.engine, audio.sample_rate, len(text), speed
    )


def keep_speech(ctx: JobContext, speech: Speech, name: str) -> dict[str, Any]:
    """Store the audio as the learner's media; what a result says about it."""
    job = ctx.job
    media = store_speech(
        ctx.session,
        runtime.object_store(),
        organisation_id=job.organisation_id,
        owner_user_id=job.learner_user_id or job.owner_user_id,
        owner_api_key_id=job.owner_api_key_id,
        wav=speech.wav,
        duration=speech.duration,
        name=name,
    )
    return {
        "media_id": media.id,
        "voice": speech.voice,
        "engine": speech.engine,
        "duration": media.duration,
        "sample_rate": speech.sample_rate,
        "characters": speech.characters,
        "speed": speech.speed,
    }


@job_actor(
    "speech_synthesis",
    name="speech_synthesis",
    queue="conversation",
    max_attempts=4,
    lease_seconds=60,
    time_limit_ms=5 * 60 * 1000,
)
def speech_synthesis(ctx: JobContext) -> Outcome:
    given = ctx.input
    ctx.report("synthesising", 10)
    speech = synthesise(
        ctx.settings, given["text"], given["voice"], given.get("language"), given["speed"]
    )
    result = keep_speech(ctx, speech, f"speech-{ctx.job.id}")
    usage.add(
        ctx.session,
        ctx.job.organisation_id,
        ctx.job.learner_user_id,
        {"characters_synthesised": result["characters"]},
        source="speech_synthesis",
    )
    return Outcome(result, provider=result["engine"], model=result["voice"])
