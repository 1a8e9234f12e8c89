"""Checks and job inputs for speech submissions: the recording, its language and the task."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from storage.actor import Actor
from storage.errors import Conflict, Unprocessable
from storage.media.policy import get_visible
from storage.models.media import Media
from storage.speech.catalogue import get_prompt

# Kinds whose first audio stream can be assessed (a video answer is decoded for its sound).
SPEECH_KINDS = ("audio", "video")


def recording(session: Session, actor: Actor, media_id: str, max_seconds: float) -> Media:
    """The caller's stored recording, ready and not longer than the limit; else 4xx."""
    media = get_visible(session, actor, media_id)
    if media.kind not in SPEECH_KINDS:
        raise Unprocessable(
            f"Media {media_id!r} is {media.kind}, not a recording.", code="media_not_audio"
        )
    if media.status != "ready":
        raise Conflict(f"The media is {media.status}, not ready.", code="media_not_ready")
    if media.duration is not None and media.duration > max_seconds + 0.5:
        raise Unprocessable(
            f"The recording lasts {media.duration:.1f} s; the maximum is {max_seconds:g} s.",
            code="audio_too_long",
            details={"duration": media.duration, "max_seconds": max_seconds},
        )
    return media


def transcription_input(
    session: Session, actor: Actor, data: dict[str, Any], max_seconds: float
) -> dict[str, Any]:
    media = recording(session, actor, data["media_id"], max_seconds)
    return {"media_id": media.id, "language": data.get("language")}


def speaking_input(
    session: Session, actor: Actor, data: dict[str, Any], max_seconds: float
) -> dict[str, Any]:
    """The job input of a speaking assessment, with the catalogue task copied in.

    The task's text is copied so that the job reads the same task even if the catalogue
    changes later. A reading prompt brings its reference text unless one is given.
    """
    media = recording(session, actor, data["media_id"], max_seconds)
    language = data.get("language")
    prompt_text = data.get("prompt_text")
    reference_text = data.get("reference_text")
    prompt_id = data.get("prompt_id")
    if prompt_id:
        prompt = get_prompt(session, prompt_id)
        if language and language != prompt.language:
            raise Unprocessable(
                f"The prompt is in {prompt.language!r} but the language given is {language!r}.",
                code="prompt_language_mismatch",
            )
        language = prompt.language
        prompt_text = prompt.instructions
        if prompt.kind == "reading" and not reference_text:
            reference_text = prompt.reference_text
    return {
        "media_id": media.id,
        "language": language,
        "prompt_id": prompt_id,
        "prompt_text": prompt_text,
        "reference_text": reference_text,
    }
