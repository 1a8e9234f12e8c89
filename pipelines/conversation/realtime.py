"""Realtime voice sessions: a short-lived client secret from the OpenAI Realtime API,
minted with the tutor's instructions at the learner's level, so a browser or app talks to
the model directly without ever holding the platform's key.

    secret = mint_client_secret(RealtimeConfig(api_key=..., model="gpt-realtime"),
                                tutor_instructions("en", "A2", "ordering food"))
    secret.value ("ek_..."), secret.expires_at (Unix seconds)
"""

from __future__ import annotations

from dataclasses import dataclass

import openai

from pipelines import openai_errors
from pipelines.errors import PipelineError

INSTRUCTIONS_VERSION = "realtime-tutor-2026-11-29"
_LEVEL_STYLE = {
    "A": "Use only very common words and short sentences; speak slowly and clearly.",
    "B": "Use everyday vocabulary and clear sentences at a natural but unhurried pace.",
    "C": "Speak naturally, as to a fluent speaker.",
}


@dataclass(frozen=True)
class RealtimeConfig:
    api_key: str
    base_url: str = ""
    model: str = "gpt-realtime"
    voice: str = "alloy"
    ttl_seconds: int = 60
    timeout: float = 30.0


@dataclass(frozen=True)
class ClientSecret:
    value: str
    expires_at: int
    model: str
    voice: str


def tutor_instructions(
    language: str,
    level: str,
    setting: str,
    persona: str | None = None,
    language_name: str | None = None,
) -> str:
    name = language_name or language
    return (
        f"You are {persona or 'a friendly conversation partner'} helping a learner of "
        f"{name} at CEFR level {level} practise speaking about: {setting}. Speak {name} "
        f"only. {_LEVEL_STYLE[level[0]]} When the learner makes a mistake, repeat what "
        "they meant correctly inside your reply (a recast), without a lecture. Keep each "
        "turn short and end it with a question that keeps the learner talking."
    )


def mint_client_secret(config: RealtimeConfig, instructions: str) -> ClientSecret:
    """POST /realtime/client_secrets; provider errors become the platform's codes."""
    client = openai.OpenAI(
        api_key=config.api_key,
        base_url=config.base_url or None,
        timeout=config.timeout,
        max_retries=0,
    )
    try:
        answer = client.realtime.client_secrets.create(
            expires_after={"anchor": "created_at", "seconds": config.ttl_seconds},
            session={
                "type": "realtime",
                "model": config.model,
                "instructions": instructions,
                "audio": {"output": {"voice": config.voice}},
            },
        )
    except openai.OpenAIError as exc:
        raise openai_errors.translate_error(exc, "realtime", "Realtime service") from exc
    if not getattr(answer, "value", None):
        raise PipelineError("realtime_rejected", "Realtime service answered without a secret.")
    return ClientSecret(answer.value, int(answer.expires_at), config.model, config.voice)
