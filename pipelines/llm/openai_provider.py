"""OpenAI and OpenAI-compatible servers (vLLM, Ollama, llama.cpp server) via the `openai` SDK."""

from __future__ import annotations

import logging
import threading
from typing import Any

import openai

from pipelines.errors import PipelineError, TransientError
from pipelines.llm.base import LLMProvider, Message, response_schema, schema_instructions
from prompts import RenderedPrompt

log = logging.getLogger(__name__)


class OpenAIProvider(LLMProvider):
    """Chat completions with a JSON-schema response format, JSON mode when refused.

    The SDK's own retries are off by default (`max_retries=0`): a 429 or 5xx becomes a
    TransientError at once, and the job engine retries it with its declared backoff instead
    of a worker thread sleeping inside the SDK. Operators can raise `max_retries` for
    servers that throttle briefly and often.
    """

    name = "openai"

    def __init__(
        self,
        *,
        model: str,
        api_key: str = "",
        base_url: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 0,
        json_schema: bool = True,
        max_tokens: int = 2048,
        client: openai.OpenAI | None = None,
    ) -> None:
        self.model = model
        self.max_tokens = max_tokens
        # Local servers accept any key; the SDK refuses to start without one.
        self._client = client or openai.OpenAI(
            api_key=api_key or "unused",
            base_url=base_url or None,
            timeout=timeout,
            max_retries=max_retries,
        )
        self._json_schema = json_schema
        self._lock = threading.Lock()

    @property
    def uses_json_schema(self) -> bool:
        """False once the server has refused a JSON-schema response format."""
        return self._json_schema

    def _complete(
        self, prompt: RenderedPrompt, messages: list[Message]
    ) -> tuple[str, dict[str, int]]:
        if self._json_schema:
            try:
                return self._call(prompt, messages, schema_mode=True)
            except openai.BadRequestError as exc:
                # Older and smaller servers reject "json_schema"; JSON mode plus the schema
                # in the system prompt is the portable fallback. Remember it for later calls.
                log.warning(
                    "server refused json_schema response format; using JSON mode",
                    extra={"model": self.model, "status": exc.status_code},
                )
                with self._lock:
                    self._json_schema = False
        try:
            return self._call(prompt, messages, schema_mode=False)
        except openai.BadRequestError as exc:
            raise PipelineError(
                "llm_request_rejected",
                f"The model server rejected the request: {_message(exc)}",
                details={"status": exc.status_code, "model": self.model},
            ) from exc

    def _call(
        self, prompt: RenderedPrompt, messages: list[Message], *, schema_mode: bool
    ) -> tuple[str, dict[str, int]]:
        system = prompt.system
        if schema_mode:
            response_format: dict[str, Any] = {
                "type": "json_schema",
                "json_schema": {
                    "name": prompt.name,
                    "schema": response_schema(prompt.schema),
                    "strict": True,
                },
            }
        else:
            response_format = {"type": "json_object"}
            system = f"{system}\n\n{schema_instructions(prompt.schema)}"
        chat = [{"role": "system", "content": system}]
        chat += [{"role": m.role, "content": m.content} for m in messages]
        try:
            completion = self._client.chat.completions.create(
                model=self.model,
                messages=chat,  # type: ignore[arg-type]
                response_format=response_format,  # type: ignore[arg-type]
                temperature=0,
                max_tokens=self.max_tokens,
            )
        except openai.BadRequestError:
            raise
        except openai.RateLimitError as exc:
            raise TransientError(
                "llm_rate_limited",
                "The model server is rate limiting requests",
                details={"retry_after": exc.response.headers.get("retry-after")},
            ) from exc
        except openai.APITimeoutError as exc:
            raise TransientError("llm_timeout", "The model server did not answer in time") from exc
        except openai.APIConnectionError as exc:
            raise TransientError(
                "llm_unavailable", f"Cannot reach the model server: {exc}"
            ) from exc
        except openai.APIStatusError as exc:
            if exc.status_code >= 500 or exc.status_code in (408, 409):
                raise TransientError(
                    "llm_unavailable",
                    f"The model server failed with HTTP {exc.status_code}",
                    details={"status": exc.status_code},
                ) from exc
            raise PipelineError(
                "llm_provider_error",
                f"The model server refused the request with HTTP {exc.status_code}: "
                f"{_message(exc)}",
                details={"status": exc.status_code, "model": self.model},
            ) from exc
        if not completion.choices:
            return "", {}
        message = completion.choices[0].message
        usage = {}
        if completion.usage is not None:
            usage = {
                "input_tokens": completion.usage.prompt_tokens or 0,
                "output_tokens": completion.usage.completion_tokens or 0,
            }
        return message.content or "", usage


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])[:300]
    return str(exc)[:300]
