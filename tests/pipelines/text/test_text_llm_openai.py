"""The OpenAI provider through the real `openai` client against a local server."""

from __future__ import annotations

import socket

import pytest

import prompts
from pipelines.errors import PipelineError, TransientError
from pipelines.llm import LLMConfig, build_llm
from pipelines.llm.openai_provider import OpenAIProvider
from tests.pipelines.text.fake_llm import Scripted, completion, error, json_completion
from tests.pipelines.text.llm_samples import ANSWERS, VALUES


def _provider(server, **kwargs) -> OpenAIProvider:
    llm = build_llm(
        LLMConfig(
            provider="openai",
            openai_base_url=server.base_url,
            openai_model="test-model",
            openai_api_key="sk-test",
            timeout_seconds=kwargs.pop("timeout", 10.0),
            openai_max_retries=kwargs.pop("max_retries", 0),
        )
    )
    assert isinstance(llm, OpenAIProvider)
    return llm


def _hint_prompt():
    return prompts.render("hint", **VALUES["hint"])


def test_offline_config_builds_no_provider():
    # Given the default config / When built / Then there is no LLM
    assert build_llm(LLMConfig()) is None
    with pytest.raises(ValueError, match="unknown LLM provider"):
        build_llm(LLMConfig(provider="magic"))


def test_valid_answer_is_returned_with_provider_model_and_prompt_version(fake_openai):
    # Given a server that answers with a valid hint
    fake_openai.push(json_completion(ANSWERS["hint"]))
    llm = _provider(fake_openai)
    # When we ask for the hint
    result = llm.generate_json(_hint_prompt())
    # Then the data, provenance and usage come back, asked for with a JSON-schema format
    assert result.data == ANSWERS["hint"]
    assert (result.provider, result.model, result.prompt_version) == (
        "openai",
        "test-model",
        prompts.version("hint"),
    )
    assert result.attempts == 1
    assert result.usage == {"input_tokens": 100, "output_tokens": 20}
    request = fake_openai.requests[0]
    assert fake_openai.paths == ["/v1/chat/completions"]
    assert request["model"] == "test-model"
    assert request["response_format"]["type"] == "json_schema"
    assert request["response_format"]["json_schema"]["name"] == "hint"
    assert request["response_format"]["json_schema"]["schema"]["required"][0] == "word"
    assert [m["role"] for m in request["messages"]] == ["system", "user"]


def test_invalid_answer_is_retried_once_with_the_error_shown(fake_openai):
    # Given a server that first answers with a hint missing "english", then a valid one
    broken = {k: v for k, v in ANSWERS["hint"].items() if k != "english"}
    fake_openai.push(json_completion(broken), json_completion(ANSWERS["hint"]))
    # When we ask
    result = _provider(fake_openai).generate_json(_hint_prompt())
    # Then the second answer is used and the retry told the model what was wrong
    assert result.attempts == 2
    assert result.data["english"] == "cat"
    retry = fake_openai.requests[1]["messages"]
    assert [m["role"] for m in retry] == ["system", "user", "assistant", "user"]
    assert "'english' is a required property" in retry[-1]["content"]
    assert result.usage["input_tokens"] == 200


def test_two_invalid_answers_fail_with_llm_invalid_output(fake_openai):
    # Given a server that answers prose, then broken JSON
    fake_openai.push(completion("Sure! The word means cat."), completion('{"word": "猫"'))
    # When we ask / Then the job fails permanently with llm_invalid_output after two calls
    with pytest.raises(PipelineError) as err:
        _provider(fake_openai).generate_json(_hint_prompt())
    assert err.value.code == "llm_invalid_output"
    assert not err.value.retryable
    assert len(fake_openai.requests) == 2


def test_rate_limit_is_transient_and_the_next_attempt_succeeds(fake_openai):
    # Given a server that rate limits once, then answers
    fake_openai.push(
        error(429, "Rate limit reached", {"retry-after": "2"}), json_completion(ANSWERS["hint"])
    )
    llm = _provider(fake_openai)  # SDK retries off: the job engine retries
    # When the job runs twice (the engine retries a TransientError)
    with pytest.raises(TransientError) as err:
        llm.generate_json(_hint_prompt())
    result = llm.generate_json(_hint_prompt())
    # Then the first attempt was retryable with the server's Retry-After, the second worked
    assert err.value.code == "llm_rate_limited"
    assert err.value.retryable
    assert err.value.details["retry_after"] == "2"
    assert result.data["word"] == "猫"


def test_sdk_retries_can_absorb_a_short_rate_limit_when_configured(fake_openai):
    # Given a server that rate limits once with a 10 ms Retry-After, and SDK retries on
    fake_openai.push(
        error(429, "slow down", {"retry-after-ms": "10"}), json_completion(ANSWERS["hint"])
    )
    # When we ask once / Then the client retried by itself and the answer comes back
    result = _provider(fake_openai, max_retries=1).generate_json(_hint_prompt())
    assert result.data["english"] == "cat"
    assert len(fake_openai.requests) == 2


def test_server_refusing_json_schema_falls_back_to_json_mode_and_remembers(fake_openai):
    # Given a server that rejects response_format json_schema with 400
    fake_openai.push(
        error(400, "response_format json_schema is not supported"),
        json_completion(ANSWERS["hint"]),
        json_completion(ANSWERS["hint"]),
    )
    llm = _provider(fake_openai)
    # When we ask twice
    llm.generate_json(_hint_prompt())
    llm.generate_json(_hint_prompt())
    # Then the second request used JSON mode with the schema in the system prompt,
    # and the third went straight to JSON mode
    formats = [r["response_format"]["type"] for r in fake_openai.requests]
    assert formats == ["json_schema", "json_object", "json_object"]
    assert '"ai_hint"' in fake_openai.requests[1]["messages"][0]["content"]
    assert llm.uses_json_schema is False


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(fake_openai, status):
    # Given a server failing with a 5xx / When we ask / Then the error is retryable
    fake_openai.push(error(status, "upstream failed"))
    with pytest.raises(TransientError) as err:
        _provider(fake_openai).generate_json(_hint_prompt())
    assert err.value.code == "llm_unavailable"


def test_bad_credentials_are_permanent(fake_openai):
    # Given a server answering 401 / When we ask / Then it is not retryable
    fake_openai.push(error(401, "Incorrect API key provided"))
    with pytest.raises(PipelineError) as err:
        _provider(fake_openai).generate_json(_hint_prompt())
    assert err.value.code == "llm_provider_error"
    assert not err.value.retryable
    assert "Incorrect API key" in err.value.message


def test_timeout_is_transient(fake_openai):
    # Given a server that answers after the client's timeout
    fake_openai.push(Scripted(200, {}, delay=2.0))
    # When we ask with a 0.3 s timeout / Then the error is a retryable timeout
    with pytest.raises(TransientError) as err:
        _provider(fake_openai, timeout=0.3).generate_json(_hint_prompt())
    assert err.value.code == "llm_timeout"


def test_connection_refused_is_transient():
    # Given a loopback port nobody listens on
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    llm = OpenAIProvider(model="m", base_url=f"http://127.0.0.1:{port}/v1", timeout=2)
    # When we ask / Then the failure is retryable
    with pytest.raises(TransientError) as err:
        llm.generate_json(_hint_prompt())
    assert err.value.code == "llm_unavailable"
