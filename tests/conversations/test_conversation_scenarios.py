"""Conversations with the offline partner through the API, in text, with a real worker:
the scenario script answers at the learner's level, one turn at a time, and an ended session
takes no more turns."""

from __future__ import annotations

from tests.webhooks.webhook_support import WebhookApi


def test_a_text_conversation_follows_the_cafe_script_and_is_spoken(accounts, talk, worker):
    # Given an A1 learner who starts a session in the café scenario
    learner = talk(accounts.admin())
    session = learner.start(language="en", level="A1", scenario="ordering-food")
    assert (session["partner"], session["status"], session["turn_pending"]) == (
        "scenario",
        "active",
        True,
    )

    # When the partner opens and the learner answers three turns, one misspelt
    opening = learner.opening(session)
    food = learner.say(session["id"], "I would like a sandwhich please")
    drink = learner.say(session["id"], "a coffee, please")
    unclear = learner.say(session["id"], "purple elephants dance")

    # Then the partner greeted, understood the order despite the spelling, and the drink
    assert opening["text"].startswith("Hello! Welcome to Sunny Café")
    assert food["result"]["reply"]["text"].startswith("A sandwich. Good choice!")
    assert "drink" in food["result"]["reply"]["text"]
    assert drink["result"]["reply"]["details"]["intent"] == "order_drink"
    # And asked again, with a hint, when it did not understand
    clarify = unclear["result"]["reply"]
    assert clarify["details"]["intent"] == "clarify" and "You can say" in clarify["text"]
    # And every reply names the partner that answered and was spoken by Piper
    assert food["provider"] == "scenario" and food["model"] == "scenarios-v1"
    assert food["result"]["reply"]["details"]["audio"]["voice"] == "piper:en_US-joe-medium"
    assert food["result"]["reply"]["kind"] == "audio" and food["result"]["reply"]["media_id"]
    # And the history holds every message in order, learner and partner in turn
    messages = learner.messages(session["id"])
    assert [m["role"] for m in messages] == ["partner"] + ["learner", "partner"] * 3
    assert [m["position"] for m in messages] == list(range(7))
    assert learner.session(session["id"])["turns"] == 3


def test_the_b_band_script_speaks_at_a_higher_level(accounts, talk, worker):
    # Given a B2 learner in the directions scenario
    learner = talk(accounts.admin())
    session = learner.start(language="en", level="B2", scenario="directions")

    # When the partner opens
    opening = learner.opening(session)

    # Then it speaks the intermediate script, not the beginner one
    assert opening["text"] == ("You look a bit lost. Are you looking for somewhere in particular?")


def test_one_turn_at_a_time_and_no_turn_after_the_end(client, accounts, talk, app, worker):
    # Given a session whose opening is answered
    admin = accounts.admin()
    learner = talk(admin)
    session = learner.start(language="en", level="A2", scenario="introductions")
    learner.opening(session)
    path = f"/api/v1/conversations/sessions/{session['id']}"

    # When a turn is sent while the previous one is still being answered
    from storage.db import db
    from storage.models.conversations import ConversationSession

    row = db.session.get(ConversationSession, session["id"])
    row.turn_pending = True
    db.session.commit()
    busy = client.post(f"{path}/text", json={"text": "My name is Ana"}, headers=admin.headers)
    row.turn_pending = False
    db.session.commit()

    # Then it is refused with a code, and nothing was recorded
    assert (busy.status_code, busy.get_json()["code"]) == (409, "turn_in_progress")
    assert len(learner.messages(session["id"])) == 1

    # When the session ends, and the learner tries again
    ended = learner.end(session["id"])
    again = client.post(f"{path}/text", json={"text": "Hello?"}, headers=admin.headers)
    twice = client.post(f"{path}/end", headers=admin.headers)

    # Then it has ended, and neither a turn nor a second end is taken
    assert ended["status"] == "ended" and ended["ended_at"]
    assert (again.status_code, again.get_json()["code"]) == (409, "session_ended")
    assert (twice.status_code, twice.get_json()["code"]) == (409, "session_ended")


def test_bad_starts_and_turns_are_refused_with_codes(client, accounts, talk):
    # Given a learner
    admin = accounts.admin()
    learner = talk(admin)

    # When a session names an unknown scenario, a free topic without an LLM, or a language
    # the offline scripts do not speak
    unknown = learner.start(expect=422, language="en", level="A1", scenario="skydiving")
    topic = learner.start(expect=422, language="en", level="A1", topic="football")
    japanese = learner.start(expect=422, language="ja", level="A1")

    # Then each says why
    assert unknown["code"] == "scenario_not_found"
    assert topic["code"] == "topic_needs_llm"
    assert japanese["code"] == "scenario_language_unavailable"
    # And another organisation's session is not found
    other = talk(accounts.admin()).start(language="en", level="A1")
    seen = client.get(f"/api/v1/conversations/sessions/{other['id']}", headers=admin.headers)
    assert (seen.status_code, seen.get_json()["code"]) == (404, "session_not_found")


def test_each_reply_is_a_conversation_message_webhook(client, accounts, talk, receiver, worker):
    # Given an organisation with a webhook for conversation messages
    admin = accounts.admin()
    WebhookApi(client).create(admin, receiver.url(), events=["conversation.message"])
    learner = talk(admin)

    # When a session opens and the learner answers
    session = learner.start(language="en", level="A1", scenario="directions")
    learner.opening(session)
    learner.say(session["id"], "I want to go to the museum")

    # Then a signed conversation.message event arrived for each reply
    import json

    received = receiver.wait_for(2)
    bodies = [json.loads(r.body) for r in received]
    assert [b["type"] for b in bodies] == ["conversation.message"] * 2
    assert all(r.headers["webhook-signature"].startswith("v1,") for r in received)
    texts = sorted(b["data"]["text"] for b in bodies)
    assert any(t.startswith("The museum? It is not far.") for t in texts)
    assert {b["data"]["session_id"] for b in bodies} == {session["id"]}
