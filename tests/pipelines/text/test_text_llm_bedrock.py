"""The Bedrock provider through botocore's Stubber on the Converse API."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import ANY, Stubber

import prompts
from pipelines.errors import PipelineError, TransientError
from pipelines.llm.bedrock_provider import DEFAULT_MODEL_ID, BedrockProvider
from tests.pipelines.text.llm_samples import ANSWERS, VALUES


@pytest.fixture
def bedrock():
    client = boto3.client(
        "bedrock-runtime",
        region_name="eu-west-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _answer(text: str) -> dict:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 300, "outputTokens": 80, "totalTokens": 380},
        "metrics": {"latencyMs": 900},
    }


def _prompt():
    return prompts.render("hint", **VALUES["hint"])


def test_mistral_answer_in_a_code_fence_is_parsed_and_system_text_goes_in_the_user_turn(
    bedrock,
):
    # Given the default Mistral 7B model answering with fenced JSON
    client, stubber = bedrock
    prompt = _prompt()
    stubber.add_response(
        "converse",
        _answer("```json\n" + json.dumps(ANSWERS["hint"], ensure_ascii=False) + "\n```"),
        {"modelId": DEFAULT_MODEL_ID, "messages": ANY, "inferenceConfig": ANY},
    )
    captured = {}
    client.meta.events.register(
        "before-parameter-build.bedrock-runtime.Converse",
        lambda params, **_: captured.update(params),
    )
    llm = BedrockProvider(client=client)
    # When we ask
    result = llm.generate_json(prompt)
    # Then the answer parses, provenance is recorded, and the system text (with the schema)
    # leads the user turn because Mistral Instruct takes no system block
    assert result.data == ANSWERS["hint"]
    assert (result.provider, result.model, result.prompt_version) == (
        "bedrock",
        DEFAULT_MODEL_ID,
        prompt.version,
    )
    assert result.usage == {"input_tokens": 300, "output_tokens": 80}
    text = captured["messages"][0]["content"][0]["text"]
    assert text.startswith(prompt.system)
    assert "JSON Schema" in text and text.endswith(prompt.user)
    assert "system" not in captured


def test_models_with_system_prompts_get_a_system_block(bedrock):
    # Given a model that supports system prompts
    client, stubber = bedrock
    prompt = _prompt()
    stubber.add_response(
        "converse",
        _answer(json.dumps(ANSWERS["hint"])),
        {
            "modelId": "anthropic.claude-3-haiku-20240307-v1:0",
            "messages": [{"role": "user", "content": [{"text": prompt.user}]}],
            "system": [{"text": ANY}],
            "inferenceConfig": {"maxTokens": 2048, "temperature": 0.0},
        },
    )
    # When we ask / Then the request matched the expected shape and the answer came back
    llm = BedrockProvider(model="anthropic.claude-3-haiku-20240307-v1:0", client=client)
    assert llm.generate_json(prompt).data["reading"] == "neko"


def test_invalid_answers_are_retried_once_then_fail(bedrock):
    # Given two answers that do not match the schema
    client, stubber = bedrock
    stubber.add_response("converse", _answer('{"word": "猫"}'))
    stubber.add_response("converse", _answer("I am not sure."))
    # When we ask / Then llm_invalid_output, after both were consumed
    with pytest.raises(PipelineError) as err:
        BedrockProvider(client=client).generate_json(_prompt())
    assert err.value.code == "llm_invalid_output"


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("ThrottlingException", 429, "llm_rate_limited"),
        ("ServiceUnavailableException", 503, "llm_unavailable"),
        ("ModelTimeoutException", 408, "llm_unavailable"),
        ("InternalServerException", 500, "llm_unavailable"),
    ],
)
def test_throttling_and_server_errors_are_transient(bedrock, code, status, expected):
    # Given Bedrock failing with a retryable error
    client, stubber = bedrock
    stubber.add_client_error("converse", code, "try later", http_status_code=status)
    # When we ask / Then a TransientError with a stable code
    with pytest.raises(TransientError) as err:
        BedrockProvider(client=client).generate_json(_prompt())
    assert err.value.code == expected
    assert err.value.details["code"] == code


@pytest.mark.parametrize("code", ["ValidationException", "AccessDeniedException"])
def test_bad_requests_are_permanent(bedrock, code):
    # Given Bedrock refusing the request
    client, stubber = bedrock
    stubber.add_client_error("converse", code, "no access to this model", http_status_code=400)
    # When we ask / Then a permanent provider error
    with pytest.raises(PipelineError) as err:
        BedrockProvider(client=client).generate_json(_prompt())
    assert err.value.code == "llm_provider_error"
    assert not err.value.retryable
