"""AWS Bedrock through boto3's `bedrock-runtime` Converse API (default: Mistral 7B Instruct)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    ReadTimeoutError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from pipelines.errors import PipelineError, TransientError
from pipelines.llm.base import LLMProvider, Message, schema_instructions
from prompts import RenderedPrompt

DEFAULT_MODEL_ID = "mistral.mistral-7b-instruct-v0:2"

# Converse rejects a system block for these models (AWS "supported models and model
# features" table); their system text goes at the head of the first user turn instead.
_NO_SYSTEM_PROMPT = (
    "mistral.mistral-7b-instruct",
    "mistral.mixtral-8x7b-instruct",
    "amazon.titan-text",
)
_TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "TooManyRequestsException",
        "ServiceUnavailableException",
        "InternalServerException",
        "ModelTimeoutException",
        "ModelNotReadyException",
        "ServiceQuotaExceededException",
    }
)


class BedrockProvider(LLMProvider):
    """Converse with the schema in the prompt: Bedrock has no portable JSON mode."""

    name = "bedrock"

    def __init__(
        self,
        *,
        model: str = DEFAULT_MODEL_ID,
        region: str = "us-east-1",
        timeout: float = 60.0,
        max_tokens: int = 2048,
        client: Any | None = None,
    ) -> None:
        self.model = model
        self.max_tokens = max_tokens
        if client is None:
            import boto3
            from botocore.config import Config

            # botocore's own retries are off for the same reason as the OpenAI SDK's:
            # throttling becomes a TransientError and the job engine backs off.
            client = boto3.client(
                "bedrock-runtime",
                region_name=region,
                config=Config(
                    connect_timeout=min(timeout, 10),
                    read_timeout=timeout,
                    retries={"max_attempts": 1, "mode": "standard"},
                ),
            )
        self._client = client

    def _complete(
        self, prompt: RenderedPrompt, messages: list[Message]
    ) -> tuple[str, dict[str, int]]:
        system = f"{prompt.system}\n\n{schema_instructions(prompt.schema)}"
        turns = [{"role": m.role, "content": [{"text": m.content}]} for m in messages]
        request: dict[str, Any] = {
            "modelId": self.model,
            "messages": turns,
            "inferenceConfig": {"maxTokens": self.max_tokens, "temperature": 0.0},
        }
        if self.model.startswith(_NO_SYSTEM_PROMPT):
            first = turns[0]["content"][0]["text"]
            turns[0] = {"role": "user", "content": [{"text": f"{system}\n\n{first}"}]}
        else:
            request["system"] = [{"text": system}]
        try:
            response = self._client.converse(**request)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = error.get("Code", "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if code in _TRANSIENT_CODES or status == 429 or status >= 500:
                raise TransientError(
                    "llm_rate_limited" if "Throttl" in code or status == 429 else "llm_unavailable",
                    f"Bedrock {code or status}: {error.get('Message', '')}"[:300],
                    details={"code": code, "status": status},
                ) from exc
            raise PipelineError(
                "llm_provider_error",
                f"Bedrock refused the request ({code}): {error.get('Message', '')}"[:300],
                details={"code": code, "status": status, "model": self.model},
            ) from exc
        except (ReadTimeoutError, ConnectTimeoutError) as exc:
            raise TransientError("llm_timeout", "Bedrock did not answer in time") from exc
        except (BotoConnectionError, BotoCoreError) as exc:
            raise TransientError("llm_unavailable", f"Cannot reach Bedrock: {exc}") from exc
        content = response.get("output", {}).get("message", {}).get("content", [])
        text = "".join(block.get("text", "") for block in content)
        raw_usage = response.get("usage", {})
        usage = {
            "input_tokens": int(raw_usage.get("inputTokens", 0)),
            "output_tokens": int(raw_usage.get("outputTokens", 0)),
        }
        return text, usage
