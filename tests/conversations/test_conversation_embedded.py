"""Embedded mode (`make run` without a key): SQLite, the in-process worker, the offline
partner; a conversation from opening to feedback, replies spoken."""

from __future__ import annotations

from flask_migrate import upgrade

from api import create_app
from tests.conftest import make_settings, use_app
from tests.conversations.conftest import Talk
from tests.factories import Accounts


def test_an_embedded_conversation_from_opening_to_feedback(app, tmp_path):
    # Given the platform in embedded mode, with no LLM
    settings = make_settings(tmp_path, redis_url=None, database_url="", embedded_services=True)
    embedded = create_app(settings, start_services=False)
    with embedded.app_context():
        upgrade(revision="head")
    from workers.runtime import start_embedded_services

    start_embedded_services(embedded)
    try:
        client = embedded.test_client()
        learner = Talk(client, Accounts(client).admin())

        # When a learner holds a short conversation and ends it
        session = learner.start(language="en", level="A1", scenario="directions")
        opening = learner.opening(session)
        first = learner.say(session["id"], "I want to go to the station")
        second = learner.say(session["id"], "yes thank you")
        learner.end(session["id"])
        feedback = learner.job(learner.session(session["id"])["feedback_job_id"])

        # Then the offline partner answered each turn, spoken, and the feedback is ready
        assert opening["text"] == "Hi! Can I help you? Where do you want to go?"
        assert first["status"] == "succeeded", first["error"]
        assert first["result"]["reply"]["text"].startswith("The station? It is not far.")
        assert second["result"]["reply"]["details"]["intent"] == "yes"
        assert first["result"]["reply"]["media_id"]
        assert feedback["status"] == "succeeded", feedback["error"]
        assert learner.session(session["id"])["feedback"]["summary"]["learner_turns"] == 2
    finally:
        embedded.extensions["runtime"].stop()
        use_app(app)
