"""The LLM interface: ask for a JSON answer that must match the prompt's schema."""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from pipelines.errors import PipelineError
from prompts import RenderedPrompt

log = logging.getLogger(__name__)

INVALID_OUTPUT = "llm_invalid_output"
# One retry: a model that answers badly twice in a row with the error shown to it is not
# going to converge, and each call costs money and worker time.
MAX_ATTEMPTS = 2

# Token usage of every call made while a collector is open (one per job run, opened by the
# job engine), whichever pipeline made the call: usage metering needs the sum per job.
_collector: contextvars.ContextVar[dict[str, int] | None] = contextvars.ContextVar(
    "llm_usage_collector", default=None
)


@contextlib.contextmanager
def collect_usage() -> Iterator[dict[str, int]]:
    """Sum the token usage providers report within the block into the yielded dict."""
    usage: dict[str, int] = {}
    token = _collector.set(usage)
    try:
        yield usage
    finally:
        _collector.reset(token)


def _count(call_usage: dict[str, int]) -> None:
    usage = _collector.get()
    if usage is not None:
        for key, value in call_usage.items():
            usage[key] = usage.get(key, 0) + int(value)


@dataclass(frozen=True)
class LLMResult:
    data: dict[str, Any]
    provider: str
    model: str
    prompt_version: str
    attempts: int = 1
    usage: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Message:
    role: str  # "user" or "assistant"
    content: str


class InvalidAnswer(ValueError):
    """The model's text is not JSON or does not match the schema."""


class LLMProvider(ABC):
    """A remote model that answers prompts with JSON. Subclasses send one chat request."""

    name: str
    model: str

    def generate_json(self, prompt: RenderedPrompt) -> LLMResult:
        """Ask, parse, validate; retry once with the validation error, then fail.

        Raises PipelineError("llm_invalid_output") after two invalid answers, TransientError
        for rate limits, 5xx, timeouts and connection failures (the job engine retries those).
        """
        messages = [Message("user", prompt.user)]
        usage: dict[str, int] = {}
        last_error = ""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            text, call_usage = self._complete(prompt, messages)
            _count(call_usage)
            for key, value in call_usage.items():
                usage[key] = usage.get(key, 0) + value
            try:
                data = parse_answer(text, prompt.schema)
            except InvalidAnswer as exc:
                last_error = str(exc)
                log.warning(
                    "invalid LLM answer",
                    extra={"provider": self.name, "prompt": prompt.name, "attempt": attempt},
                )
                messages = [
                    *messages,
                    Message("assistant", text[:4000]),
                    Message(
                        "user",
                        "Your answer was not valid: "
                        f"{last_error}. Answer again with one JSON object only, matching "
                        "the schema exactly.",
                    ),
                ]
                continue
            return LLMResult(data, self.name, self.model, prompt.version, attempt, usage)
        raise PipelineError(
            INVALID_OUTPUT,
            f"The {self.name} model gave no valid answer to {prompt.name} "
            f"after {MAX_ATTEMPTS} attempts: {last_error}",
            details={"provider": self.name, "model": self.model, "prompt": prompt.name},
        )

    @abstractmethod
    def _complete(
        self, prompt: RenderedPrompt, messages: list[Message]
    ) -> tuple[str, dict[str, int]]:
        """Send the system prompt and messages; return the answer text and token usage."""


def parse_answer(text: str, schema: dict[str, Any]) -> dict[str, Any]:
    """Extract the JSON object from a model's text and validate it against the schema.

    Models without a JSON mode often wrap the object in a code fence or a sentence, so we
    decode from the first "{" and ignore what follows the object.
    """
    start = text.find("{")
    if start < 0:
        raise InvalidAnswer("no JSON object in the answer")
    try:
        data, _ = json.JSONDecoder().raw_decode(text[start:])
    except json.JSONDecodeError as exc:
        raise InvalidAnswer(f"answer is not valid JSON ({exc.msg} at {exc.pos})") from None
    if not isinstance(data, dict):
        raise InvalidAnswer("answer is not a JSON object")
    errors = sorted(Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        raise InvalidAnswer("; ".join(_describe(e) for e in errors[:5]))
    return data


def schema_instructions(schema: dict[str, Any]) -> str:
    """The schema spelled out for providers that cannot enforce it themselves."""
    return (
        "Your answer must be a single JSON object that validates against this JSON Schema:\n"
        + json.dumps(response_schema(schema), ensure_ascii=False, sort_keys=True)
    )


def response_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema without meta keys that some servers reject in a response format."""
    return {k: v for k, v in schema.items() if k not in ("$schema", "$id", "title")}


def _describe(error: ValidationError) -> str:
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"{where}: {error.message}"
