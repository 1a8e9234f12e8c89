"""Speech synthesis: the voices, a synthesis job (audio kept as media) and a live stream.

The routes live under /speech/ beside the speaking assessment (api.speech) but are their own
resource: synthesis speaks to the learner, the assessment listens to them.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from api import quotas, ratelimit, settings
from api.jobs import submission
from api.jobs.decorators import submits_job
from api.security import ANY_ROLE, auth_required, current_principal
from api.synthesis.schemas import (
    SynthesisJobRequestSchema,
    SynthesisRequestSchema,
    VoiceArgs,
    VoiceListSchema,
)
from pipelines.synthesis import wav_header
from storage import usage
from storage.db import db
from storage.synthesis import check_text, choose_voice, synthesis_input
from workers.actors.synthesis import synthesizer_for

blp = Blueprint(
    "synthesis",
    __name__,
    url_prefix="/api/v1",
    description="Speak text to learners: offline voices (Piper, espeak-ng) or an OpenAI-compatible "
    "speech service; as a job whose audio is kept as media, or streamed as it is made.",
)


@blp.route("/speech/voices")
class Voices(MethodView):
    @auth_required(ANY_ROLE, scope="jobs:read")
    @blp.arguments(VoiceArgs, location="query")
    @blp.response(200, VoiceListSchema)
    def get(self, args: dict):
        """List the voices of the configured engines, by language and engine."""
        voices = synthesizer_for(settings()).voices(args.get("language"))
        if args.get("engine"):
            voices = [v for v in voices if v.engine == args["engine"]]
        return {"items": [v.to_dict() for v in voices]}


@blp.route("/speech/synthesize")
class Synthesize(MethodView):
    @submits_job(blp, SynthesisJobRequestSchema)
    def post(self, data: dict, callback_url: str | None):
        """Speak a text as a job; the result names the audio media (GET /media/{id}/content)."""
        given = synthesis_input(synthesizer_for(settings()), data, settings().max_synthesis_chars)
        return submission.submit(
            "speech_synthesis", given, callback_url=callback_url, learner=data.get("learner")
        )


@blp.route("/speech/synthesize/stream")
class SynthesizeStream(MethodView):
    @auth_required(ANY_ROLE, scope="jobs:write")
    @blp.arguments(SynthesisRequestSchema)
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    @blp.response(
        200,
        description="`audio/wav`: a header, then 16-bit mono PCM, a sentence "
        "at a time as it is made (chunked).",
    )
    def post(self, data: dict):
        """Speak a text as a stream of WAV audio, starting with the first sentence."""
        ratelimit.check("submit", current_principal().organisation_id)
        quotas.require_feature(current_principal().organisation_id, "speech_synthesis")
        synthesizer = synthesizer_for(settings())
        text = check_text(data["text"], settings().max_synthesis_chars)
        voice = choose_voice(synthesizer, data.get("voice"), data.get("language"))
        audio = synthesizer.speak(text, voice=voice.id, speed=data["speed"])
        chunks = iter(audio.chunks)
        # The first sentence is made before the answer starts, so a failing engine is still
        # a problem answer (422, or 503 when retryable) rather than a broken stream.
        first = next(chunks, b"")

        principal = current_principal()
        usage.add(
            db.session,
            principal.organisation_id,
            principal.user_id,
            {"characters_synthesised": len(text)},
            source="speech_synthesis_stream",
        )
        db.session.commit()

        def body() -> Iterator[bytes]:
            yield wav_header(audio.sample_rate) + first
            yield from chunks

        return Response(
            body(),
            mimetype="audio/wav",
            headers={
                "X-Voice": voice.id,
                "X-Sample-Rate": str(audio.sample_rate),
                "Cache-Control": "no-store",
            },
        )
