"""The LLM partner: a local server speaking the OpenAI chat API, reached by the real `openai`
client in a real worker. Replies above the learner's level are asked for again; a model that
times out is retried, one that answers off-schema fails the turn and not the session."""

from __future__ import annotations

import prompts
from tests.conversations.conftest import Talk
from tests.pipelines.text.fake_llm import FakeOpenAI, Scripted, completion, json_completion


def answer(reply: str, correction: dict | None = None) -> Scripted:
    return json_completion(
        {"reply": reply, "correction": correction, "follow_up_question": reply.rsplit(". ", 1)[-1]},
        model="tutor-1",
    )


def llm_app(app_with, settings, server: FakeOpenAI, **more: object):
    return app_with(
        media_dir=settings.media_dir,
        llm_provider="openai",
        openai_base_url=server.base_url,
        openai_api_key="sk-test",
        openai_model="tutor-1",
        conversation_speak_replies=False,
        **more,
    )


def test_the_llm_partner_recasts_and_is_asked_again_when_above_the_level(
    accounts, settings, app_with, start_worker
):
    # Given an app whose partner is an OpenAI-compatible model, and an A2 learner's session
    admin = accounts.admin()
    with FakeOpenAI() as tutor:
        remote = llm_app(app_with, settings, tutor)
        start_worker(remote)
        learner = Talk(remote.test_client(), admin)
        tutor.push(answer("Hi! I am Sam. What do you like to do at the weekend?"))
        session = learner.start(
            language="en", level="A2", topic="weekends", persona="Sam, a student"
        )
        opening = learner.opening(session)

        # When the learner writes with a slip, and the model first answers above A2
        tutor.push(
            answer(
                "Oh, you went to the park! Its ambience is exquisite and the foliage "
                "magnificent. Did you go alone?",
                {
                    "original": "I go to park yesterday",
                    "recast": "you went to the park",
                    "explanation": "Use the past tense for yesterday.",
                },
            ),
            answer(
                "Oh, you went to the park! It is a very nice place. Did you go alone?",
                {
                    "original": "I go to park yesterday",
                    "recast": "you went to the park",
                    "explanation": "Use the past tense for yesterday.",
                },
            ),
        )
        job = learner.say(session["id"], "I go to park yesterday")
        sent = list(tutor.requests)

    # Then the partner is the LLM, with its model and the prompt's version
    assert session["partner"] == "llm" and opening["details"]["partner"] == "llm"
    assert job["status"] == "succeeded", job["error"]
    assert (job["provider"], job["model"]) == ("openai", "tutor-1")
    assert job["prompt_version"] == prompts.version("conversation_reply")
    # And the too-hard first answer was measured and asked for again, the simpler one kept
    reply = job["result"]["reply"]
    check = reply["details"]["level_check"]
    assert check["regenerated"] is True and check["level_ok"] is True
    assert {"exquisite", "magnificent"} <= set(check["first"]["above"])
    assert reply["text"] == "Oh, you went to the park! It is a very nice place. Did you go alone?"
    assert "exquisite" in sent[2]["messages"][1]["content"]
    # And the recast is recorded, the history and level sent to the model
    assert reply["details"]["correction"]["recast"] == "you went to the park"
    system = sent[1]["messages"][0]["content"]
    assert "CEFR level A2" in system and "Sam, a student" in system and "weekends" in system
    assert "You: Hi! I am Sam." in sent[1]["messages"][1]["content"]


def test_a_model_that_times_out_is_retried_and_one_off_schema_fails_only_the_turn(
    accounts, settings, app_with, start_worker
):
    # Given a session with the LLM partner, whose model will first be too slow
    admin = accounts.admin()
    with FakeOpenAI() as tutor:
        remote = llm_app(app_with, settings, tutor, llm_timeout_seconds=1.0)
        start_worker(remote)
        learner = Talk(remote.test_client(), admin)
        tutor.push(answer("Hello! Where do you live?"))
        session = learner.start(language="en", level="B1", topic="home")
        learner.opening(session)
        slow = answer("Nice. Is it big?")
        slow.delay = 2.5
        tutor.push(slow, answer("Nice. Is it a big city?"))

        # When the learner answers
        retried = learner.say(session["id"], "I live in Lyon")

        # Then the timeout was retried and the turn answered
        assert retried["status"] == "succeeded", retried["error"]
        assert retried["runs"] == 2
        assert retried["result"]["reply"]["text"] == "Nice. Is it a big city?"

        # When the model then answers off-schema twice
        tutor.push(completion("Sure! Lyon is great."), completion('{"text": "still wrong"}'))
        broken = learner.say(session["id"], "Yes, it is big")

        # Then the turn fails with a clear code, the learner's message says so
        assert broken["status"] == "failed"
        assert broken["error"]["code"] == "llm_invalid_output"
        last = learner.messages(session["id"])[-1]
        assert (last["role"], last["status"], last["error"]["code"]) == (
            "learner",
            "failed",
            "llm_invalid_output",
        )

        # And the session takes the next turn
        tutor.push(answer("Great. What do you like about it?"))
        after = learner.say(session["id"], "Yes, it is a big city")
        assert after["status"] == "succeeded"
        assert learner.session(session["id"])["turns"] == 2
