"""Which LLM provider answers, from a plain config value."""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.llm.base import LLMProvider

PROVIDERS = ("offline", "openai", "bedrock")


@dataclass(frozen=True)
class LLMConfig:
    """Provider choice and its settings. "offline" means no LLM: deterministic engines answer."""

    provider: str = "offline"
    openai_api_key: str = ""
    openai_base_url: str = ""
    openai_model: str = "gpt-4o-mini"
    openai_max_retries: int = 0
    openai_json_schema: bool = True
    bedrock_region: str = "us-east-1"
    bedrock_model_id: str = "mistral.mistral-7b-instruct-v0:2"
    timeout_seconds: float = 60.0
    max_tokens: int = 2048


def build_llm(config: LLMConfig) -> LLMProvider | None:
    """The configured provider, or None for "offline"."""
    if config.provider == "offline":
        return None
    if config.provider == "openai":
        from pipelines.llm.openai_provider import OpenAIProvider

        return OpenAIProvider(
            model=config.openai_model,
            api_key=config.openai_api_key,
            base_url=config.openai_base_url or None,
            timeout=config.timeout_seconds,
            max_retries=config.openai_max_retries,
            json_schema=config.openai_json_schema,
            max_tokens=config.max_tokens,
        )
    if config.provider == "bedrock":
        from pipelines.llm.bedrock_provider import BedrockProvider

        return BedrockProvider(
            model=config.bedrock_model_id,
            region=config.bedrock_region,
            timeout=config.timeout_seconds,
            max_tokens=config.max_tokens,
        )
    raise ValueError(f"unknown LLM provider {config.provider!r}; choose one of {PROVIDERS}")
