from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.fields import CallbackUrl
from api.jobs.schemas import learner_field
from api.pagination import PageArgs
from core.levels import CEFR_LEVELS
from storage.models.speech import PROMPT_KINDS

LEVELS = CEFR_LEVELS

_MEDIA_ID = fields.String(
    required=True,
    validate=validate.Length(min=1, max=40),
    metadata={"description": "An audio (or video) media item of the caller, status ready."},
)
_LANGUAGE = fields.String(
    allow_none=True,
    validate=validate.Length(min=2, max=16),
    metadata={"example": "en", "description": "ISO 639-1 code; detected when left out."},
)


class TranscriptionRequestSchema(Schema):
    media_id = _MEDIA_ID
    language = _LANGUAGE
    callback_url = CallbackUrl()
    learner = learner_field()


class SpeakingAssessmentRequestSchema(Schema):
    media_id = _MEDIA_ID
    language = _LANGUAGE
    prompt_id = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=40),
        metadata={
            "description": "A task from GET /speaking-prompts (sets the language, and "
            "the reference text of a reading task)."
        },
    )
    prompt_text = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=2000),
        metadata={"description": "The task the learner answered, when not from the catalogue."},
    )
    reference_text = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=5000),
        metadata={
            "description": "For a scripted reading: the text read aloud; the result "
            "then gives completeness and accuracy against it."
        },
    )
    callback_url = CallbackUrl()
    learner = learner_field()

    @validates_schema
    def one_task(self, data: dict, **_: object) -> None:
        if data.get("prompt_id") and data.get("prompt_text"):
            raise ValidationError("Give prompt_id or prompt_text, not both.", "prompt_text")


class SpeakingPromptSchema(Schema):
    id = fields.String(metadata={"example": "spp_en_b1_1"})
    language = fields.String()
    level = fields.String(metadata={"enum": list(LEVELS)})
    kind = fields.String(metadata={"enum": list(PROMPT_KINDS)})
    topic = fields.String()
    title = fields.String()
    instructions = fields.String()
    reference_text = fields.String(allow_none=True)
    suggested_seconds = fields.Integer()


class SpeakingPromptArgs(PageArgs):
    language = fields.String(validate=validate.Length(min=2, max=16))
    level = fields.String(validate=validate.OneOf(LEVELS))
    kind = fields.String(validate=validate.OneOf(PROMPT_KINDS))


# The shape of a speaking assessment's `result.pronunciation` (documented as components: the
# job result itself is a free-form object shared by every job type).
class PhonemeScoreSchema(Schema):
    phoneme = fields.String(metadata={"example": "AE", "description": "ARPABET phone."})
    score = fields.Integer(metadata={"description": "0-100 goodness of pronunciation."})
    expected = fields.String(metadata={"description": "The phone the text asks for."})
    heard = fields.String(
        metadata={
            "description": "The most likely phone heard (free phone loop); the expected one when "
            "it scored well."
        }
    )


class WordPronunciationSchema(Schema):
    word = fields.String()
    accuracy = fields.Integer(allow_none=True, metadata={"description": "0-100."})
    error_type = fields.String(
        allow_none=True,
        metadata={
            "enum": ["mispronunciation", "omission", "insertion", "repetition", "substitution"],
            "description": "None when the word was read correctly.",
        },
    )
    start = fields.Float(allow_none=True, metadata={"description": "Seconds."})
    end = fields.Float(allow_none=True)
    heard_as = fields.String(allow_none=True, metadata={"description": "The word recognised."})
    phonemes = fields.List(fields.Nested(PhonemeScoreSchema))


class PronunciationResultSchema(Schema):
    method = fields.String(
        metadata={
            "enum": ["gop-pocketsphinx-whisper-v5", "asr-confidence"],
            "description": "English: forced alignment and goodness of pronunciation; other "
            "languages: recogniser confidence.",
        }
    )
    judged = fields.Boolean(
        metadata={"description": "False when the recording could not be judged; `reason` says why."}
    )
    accuracy = fields.Integer(allow_none=True, metadata={"description": "0-100, sounds."})
    fluency = fields.Integer(allow_none=True, metadata={"description": "0-100, pauses, rate."})
    completeness = fields.Integer(
        allow_none=True,
        metadata={"description": "0-100, share of the reference text read (readings only)."},
    )
    prosody = fields.Integer(
        allow_none=True, metadata={"description": "0-100, intonation, rhythm and speed."}
    )
    overall = fields.Integer(allow_none=True, metadata={"description": "0-100."})
    reason = fields.String(
        allow_none=True,
        metadata={
            "enum": [
                "too_short",
                "alignment_failed",
                "reference_not_english",
                "speech_unclear",
                "no_confidence",
            ]
        },
    )
    message = fields.String(allow_none=True)
    words = fields.List(fields.Nested(WordPronunciationSchema))
    prosody_measures = fields.Dict(
        allow_none=True,
        metadata={
            "description": "pitch_range_st, pitch_sd_st, intensity_sd_db, voiced_share, "
            "boundary_pauses, internal_pauses, final_movement_st, final_expected, "
            "final_matches, duration_cv, monotone."
        },
    )
    measurements = fields.Dict(metadata={"description": "The clip measurements scored."})
    model = fields.String(
        allow_none=True, metadata={"example": "pronunciation-gop-pocketsphinx-whisper-v5"}
    )


class SpeakingCefrSchema(Schema):
    level = fields.String(metadata={"enum": list(LEVELS)})
    score = fields.Float(metadata={"description": "0-100, inside the level's band."})
    confidence = fields.Float(
        metadata={
            "description": "0-1. Free speech: the language model's calibrated probability of its "
            "level times the agreement of language and fluency; reading: the "
            "agreement of pronunciation, fluency and completeness."
        }
    )
    method = fields.String(
        metadata={
            "enum": ["cefr-text-model-v3", "heuristic", "reading-delivery-v1", "llm"],
            "description": "What placed the level: the fitted English text model (free speech), "
            "the heuristic (languages without labelled data), the reading's quality "
            "against its text's level, or the LLM provider.",
        }
    )


class SpeakingRelevanceSchema(Schema):
    score = fields.Float(
        metadata={"description": "0-100, weighted share of the task's key words the answer uses."}
    )
    related_score = fields.Float(
        allow_none=True,
        metadata={"description": "0-100, counting words WordNet relates to the key words too."},
    )
    off_topic = fields.Boolean(
        metadata={"description": "Under 20 % both ways: the level is placed one band lower."}
    )
    key_words = fields.List(fields.String())
    used = fields.List(fields.String())
    missing = fields.List(fields.String())
    method = fields.String(metadata={"enum": ["keyword-idf-wordnet-v2", "keyword-idf-v1"]})


# Registered as OpenAPI components by api.resources.
RESULT_SCHEMAS = {
    "SpeakingPronunciation": PronunciationResultSchema,
    "SpeakingCefr": SpeakingCefrSchema,
    "SpeakingRelevance": SpeakingRelevanceSchema,
}
