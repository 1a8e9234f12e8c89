"""Speech synthesis jobs (queue `conversation`): text spoken by an engine, stored as audio."""

from __future__ import annotations

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


def speak_to_media(ctx: JobContext, text: str, voice: str | None, language: str | None,
                   speed: float, name: str) -> dict[str, Any]:
    """Speak the text and store it as the learner's audio; what a result says about it."""
    audio = synthesizer_for(ctx.settings).speak(text, voice=voice, language=language,
                                                speed=speed)  # fmt: skip
    wav, duration = wav_bytes(audio)
    job = ctx.job
    media = store_speech(ctx.session, runtime.object_store(), organisation_id=job.organisation_id,
                         owner_user_id=job.learner_user_id or job.owner_user_id,
                         owner_api_key_id=job.owner_api_key_id, wav=wav, duration=duration,
                         name=name)  # fmt: skip
    return {"media_id": media.id, "voice": audio.voice.id, "engine": audio.voice.engine,
            "duration": media.duration, "sample_rate": audio.sample_rate,
            "characters": len(text), "speed": speed}


@job_actor("speech_synthesis", name="speech_synthesis", queue="conversation", max_attempts=4,
           lease_seconds=60, time_limit_ms=5 * 60 * 1000)  # fmt: skip
def speech_synthesis(ctx: JobContext) -> Outcome:
    given = ctx.input
    ctx.report("synthesising", 10)
    result = speak_to_media(ctx, given["text"], given["voice"], given.get("language"),
                            given["speed"], f"speech-{ctx.job.id}")  # fmt: skip
    usage.add(ctx.session, ctx.job.organisation_id, ctx.job.learner_user_id,
              {"characters_synthesised": result["characters"]})
    return Outcome(result, provider=result["engine"], model=result["voice"])
