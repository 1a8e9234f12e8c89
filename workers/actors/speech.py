"""Speech jobs: transcription (queue `transcription`) and speaking assessment (`transcription`
then `scoring`).

The speaking assessment is two actors so operators can scale the CPU-heavy Whisper work
apart from scoring (which may wait on a remote LLM): the first transcribes and hands the
transcript over as a checkpoint; the second scores it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pipelines.pronunciation import assess_recording
from pipelines.speaking import SpeakingAssessment, assess_speaking
from pipelines.transcription import Transcriber, Transcript, TranscriptionConfig, build_transcriber
from storage.speech.recordings import fetched_recording
from workers import runtime
from workers.actors.text import llm_for
from workers.engine import Continue, JobContext, Outcome, job_actor


def transcription_config(settings: Any) -> TranscriptionConfig:
    return TranscriptionConfig(
        provider=settings.transcription_provider,
        whisper_model=settings.whisper_model,
        cache_dir=settings.whisper_cache_dir,
        max_audio_seconds=settings.max_audio_seconds,
        openai_api_key=settings.openai_api_key,
        openai_base_url=settings.openai_transcription_base_url or settings.openai_base_url,
        openai_model=settings.openai_transcription_model,
        timeout=settings.llm_timeout_seconds,
    )


@lru_cache(maxsize=4)
def transcriber_for(config: TranscriptionConfig) -> Transcriber:
    """One transcriber per configuration and process (the Whisper model loads once)."""
    return build_transcriber(config)


def _transcribe(
    ctx: JobContext, start: int, end: int, *, pronunciation: dict | None = None
) -> Transcript:
    """Fetch the recording and transcribe it, reporting progress between start and end.

    With `pronunciation` (a dict to fill), the recording's pronunciation is assessed while it
    is still on disk; for a reading, the transcript is decoded primed with the reference text
    and a second, free decode shows what the text would have hidden (insertions)."""
    ctx.report("fetching", start)
    transcriber = transcriber_for(transcription_config(ctx.settings))

    def report(stage: str, progress: int) -> None:
        ctx.report(stage, start + (end - start) * progress // 100)

    store = runtime.object_store()
    organisation_id = ctx.job.organisation_id
    given = ctx.input
    reference = given.get("reference_text") if pronunciation is not None else None
    with fetched_recording(ctx.session, store, organisation_id, given["media_id"]) as path:
        transcript = transcriber.transcribe(
            path, given.get("language"), report=report, prompt=reference
        )
        if pronunciation is not None:
            language = given.get("language") or transcript.language
            english = (language or "").lower().startswith("en")
            free = transcriber.transcribe(path, language) if reference and english else None
            result = assess_recording(
                path,
                transcript,
                reference_text=reference,
                free_transcript=free,
                language=language,
                max_seconds=ctx.settings.max_audio_seconds,
                whisper_cache_dir=ctx.settings.whisper_cache_dir,
            )
            pronunciation.update(result.to_dict())
        return transcript


@job_actor(
    "transcription",
    name="transcription",
    queue="transcription",
    max_attempts=3,
    lease_seconds=120,
    time_limit_ms=20 * 60 * 1000,
)
def transcription(ctx: JobContext) -> Outcome:
    transcript = _transcribe(ctx, 5, 95)
    return Outcome(transcript.to_dict(), provider=transcript.provider, model=transcript.model)


@job_actor(
    "speaking_assessment",
    name="speaking_transcribe",
    queue="transcription",
    max_attempts=3,
    lease_seconds=120,
    time_limit_ms=20 * 60 * 1000,
)
def speaking_transcribe(ctx: JobContext) -> Continue:
    pronunciation: dict[str, Any] = {}
    transcript = _transcribe(ctx, 5, 45, pronunciation=pronunciation)
    return Continue(
        actor="speaking_score",
        stage="scoring",
        progress=50,
        checkpoint={"transcript": transcript.to_dict(), "pronunciation": pronunciation},
    )


@job_actor(
    None,
    name="speaking_score",
    queue="scoring",
    max_attempts=4,
    lease_seconds=120,
    time_limit_ms=5 * 60 * 1000,
)
def speaking_score(ctx: JobContext) -> Outcome:
    transcript = Transcript.from_dict(ctx.checkpoint["transcript"])
    given = ctx.input
    assessment = assess_speaking(
        transcript,
        language=given.get("language") or transcript.language,
        reference_text=given.get("reference_text"),
        prompt_text=given.get("prompt_text"),
        pronunciation=ctx.checkpoint.get("pronunciation") or None,
        llm=llm_for(ctx.settings),
        report=lambda stage, progress: ctx.report(stage, 50 + 45 * progress // 100),
    )
    return Outcome(
        speaking_result(transcript, assessment, given.get("prompt_id")),
        provider=assessment.provider,
        model=assessment.model,
        prompt_version=assessment.prompt_version,
    )


def speaking_result(
    transcript: Transcript, assessment: SpeakingAssessment, prompt_id: str | None
) -> dict[str, Any]:
    """The job result: what was said, how it was said, and how it scores."""
    measured = assessment.to_dict()
    said = transcript.to_dict()
    return {
        "transcript": {
            key: said[key]
            for key in ("text", "language", "language_probability", "duration", "segments")
        },
        "words": said["words"],
        "fluency": measured["fluency"],
        "cefr": {
            "level": assessment.cefr_level,
            "score": assessment.cefr_score,
            "confidence": assessment.cefr_confidence,
            "method": assessment.cefr_method,
        },
        "scores": assessment.scores,
        "feedback": assessment.feedback,
        "summary": assessment.summary,
        "reading": measured["reading"],
        "relevance": measured["relevance"],
        "pronunciation": measured["pronunciation"],
        "measured_scores": assessment.measured_scores,
        "features": assessment.features,
        "prompt_id": prompt_id,
        "transcription": {"provider": transcript.provider, "model": transcript.model},
        "provider": assessment.provider,
        "model": assessment.model,
        "prompt_version": assessment.prompt_version,
    }
