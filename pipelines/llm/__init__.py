"""Ask a model for a JSON answer that must match the prompt's schema.

    llm = build_llm(LLMConfig(provider="openai", openai_model="gpt-4o-mini"))
    if llm is not None:
        result = llm.generate_json(prompts.render("hint", ...))
        result.data, result.provider, result.model, result.prompt_version

Providers: "openai" (the OpenAI SDK; any OpenAI-compatible server through its base URL),
"bedrock" (boto3 Converse), "offline" (None: each capability's deterministic engine answers).
"""

from pipelines.llm.base import (
    INVALID_OUTPUT,
    InvalidAnswer,
    LLMProvider,
    LLMResult,
    collect_usage,
    parse_answer,
)
from pipelines.llm.config import PROVIDERS, LLMConfig, build_llm

__all__ = [
    "INVALID_OUTPUT",
    "PROVIDERS",
    "InvalidAnswer",
    "LLMConfig",
    "LLMProvider",
    "LLMResult",
    "build_llm",
    "collect_usage",
    "parse_answer",
]
