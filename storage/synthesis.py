"""Speech synthesis requests and their audio, kept as media of the learner it speaks to."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.orm import Session

from pipelines.synthesis import Synthesizer, Voice
from storage.errors import Unprocessable
from storage.ids import new_id
from storage.models.media import Media
from storage.objectstore import ObjectStore
from storage.objectstore.keys import media_key


def check_text(text: str, max_chars: int) -> str:
    """The text to speak, trimmed; empty or longer than the limit is a 422 with a code."""
    text = text.strip()
    if not text:
        raise Unprocessable("There is no text to speak.", code="text_empty")
    if len(text) > max_chars:
        raise Unprocessable(
            f"The text has {len(text)} characters; at most {max_chars} can be spoken at once.",
            code="text_too_long",
            details={"characters": len(text), "max_characters": max_chars},
        )
    return text


def choose_voice(synthesizer: Synthesizer, voice_id: str | None, language: str | None) -> Voice:
    """The voice asked for (or the preferred one for the language); a bad choice is a 422."""
    return synthesizer.voice(voice_id, language)


def synthesis_input(
    synthesizer: Synthesizer, data: dict[str, Any], max_chars: int
) -> dict[str, Any]:
    """The job input of a synthesis: checked text, the voice resolved now, the speed."""
    text = check_text(data["text"], max_chars)
    voice = choose_voice(synthesizer, data.get("voice"), data.get("language"))
    return {
        "text": text,
        "voice": voice.id,
        "language": data.get("language") or voice.language,
        "speed": data.get("speed", 1.0),
    }


def store_speech(
    session: Session,
    store: ObjectStore,
    *,
    organisation_id: str,
    owner_user_id: str | None,
    owner_api_key_id: str | None,
    wav: bytes,
    duration: float,
    name: str,
) -> Media:
    """Write the WAV to object storage and record it as ready audio, private to its owner."""
    media_id = new_id("med")
    filename = f"{name}.wav"
    media = Media(
        id=media_id,
        organisation_id=organisation_id,
        owner_user_id=owner_user_id,
        owner_api_key_id=owner_api_key_id,
        kind="audio",
        filename=filename,
        object_key=media_key(organisation_id, media_id, filename),
        source="synthesis",
        visibility="private",
        content_type="audio/wav",
        size=len(wav),
        sha256=hashlib.sha256(wav).hexdigest(),
        duration=round(duration, 3),
        status="ready",
    )
    store.put(media.object_key, wav, len(wav), "audio/wav")
    session.add(media)
    session.flush()
    return media
