"""A whole conversation through the API with spoken turns: the learner's speech is made by
espeak-ng and uploaded, transcribed by Whisper in a real worker, answered by the offline
partner and spoken back; the session ends with feedback. Silence and another language are
answered without breaking the session."""

from __future__ import annotations

from tests.conversations.conftest import espeak_wav, silence_wav


def test_a_spoken_cafe_conversation_from_opening_to_feedback(accounts, talk, upload, worker):
    # Given an A2 learner in the café scenario
    admin = accounts.admin()
    learner = talk(admin)
    session = learner.start(language="en", level="A2", scenario="ordering-food", speed=0.9)
    opening = learner.opening(session)
    assert "What would you like to eat?" in opening["text"]

    # When the learner speaks three turns (espeak-ng) and writes one, with a slip
    def spoken(said: str) -> dict:
        media = upload(admin, data=espeak_wav(said), filename="turn.wav")
        return learner.speak(session["id"], media["id"])

    jobs = [
        spoken("I would like a pizza, please."),
        learner.say(session["id"], "I want a orange juice"),
        spoken("No, thank you."),
        spoken("By card, please."),
    ]

    # Then every spoken turn was transcribed, then answered, as one job of two stages
    assert [j["status"] for j in jobs] == ["succeeded"] * 4, [j["error"] for j in jobs]
    audio = [jobs[0], jobs[2], jobs[3]]
    assert all(j["type"] == "conversation_audio_turn" and j["runs"] == 2 for j in audio)
    assert jobs[1]["type"] == "conversation_turn"
    heard = [j["result"]["learner_message"]["text"].lower() for j in audio]
    assert "pizza" in heard[0] and "thank" in heard[1] and "card" in heard[2]
    # And the partner followed the script: the order, the drink, anything else, the bill
    intents = [j["result"]["reply"]["details"]["intent"] for j in jobs]
    assert intents == ["order_food", "order_drink", "no", "pay"]
    assert jobs[0]["result"]["reply"]["text"].startswith("A pizza. Good choice!")
    # And the script is complete, every reply spoken at the session's speed
    assert jobs[-1]["result"]["reply"]["details"]["ended"] is True
    assert all(j["result"]["reply"]["details"]["audio"]["speed"] == 0.9 for j in jobs)
    transcript = jobs[0]["result"]["learner_message"]["details"]["transcript"]
    assert transcript["language"] == "en" and transcript["duration"] > 1.0

    # When the session ends
    learner.end(session["id"])
    feedback_job = learner.job(learner.session(session["id"])["feedback_job_id"])
    feedback = learner.session(session["id"])["feedback"]

    # Then the feedback lists each spoken turn with its corrections and levels
    assert feedback_job["status"] == "succeeded", feedback_job["error"]
    assert feedback["status"] == "ready" and feedback["summary"]["audio_turns"] == 3
    assert [t["kind"] for t in feedback["turns"]] == ["audio", "text", "audio", "audio"]
    juice = feedback["turns"][1]
    assert any("an" in c["replacements"] for c in juice["corrections"]), juice
    assert juice["corrected_text"] == "I want an orange juice"
    assert feedback["level"]["writing"]["level"] in ("A1", "A2", "B1")
    assert feedback["level"]["speaking"]["turns"] == 3
    # And offers words of the partner's lines at the learner's level or just above
    offered = feedback["vocabulary"]
    assert offered and all(w["level"] in ("A2", "B1") for w in offered)
    assert all(w["term"] not in " ".join(heard) for w in offered)
    # And the learner's usage counts the turns, the speech heard and the characters spoken
    used = learner.client.get(f"/api/v1/users/{admin.id}/stats", headers=admin.headers).get_json()[
        "usage"
    ]
    assert used["partner_turns"] == 5
    spoken_seconds = sum(
        j["result"]["learner_message"]["details"]["transcript"]["duration"] for j in audio
    )
    assert abs(used["speech_seconds_in"] - spoken_seconds) < 0.01
    replies = [opening["text"]] + [j["result"]["reply"]["text"] for j in jobs]
    assert used["characters_synthesised"] == sum(len(r) for r in replies)


def test_silence_and_another_language_do_not_break_the_session(accounts, talk, upload, worker):
    # Given a learner in the introductions scenario
    admin = accounts.admin()
    learner = talk(admin)
    session = learner.start(language="en", level="A1", scenario="introductions")
    learner.opening(session)

    # When the learner sends silence
    quiet = learner.speak(
        session["id"], upload(admin, data=silence_wav(), filename="quiet.wav")["id"]
    )

    # Then the turn fails with a clear code, its message says so, and the session is free
    assert quiet["status"] == "failed" and quiet["error"]["code"] == "no_speech_detected"
    failed = learner.messages(session["id"])[-1]
    assert (failed["status"], failed["error"]["code"]) == ("failed", "no_speech_detected")
    assert learner.session(session["id"])["turn_pending"] is False

    # When the learner then answers in Spanish, in writing
    spanish = learner.say(session["id"], "Me llamo Ana y soy de Madrid")

    # Then the partner asks for English and stays on its question
    reply = spanish["result"]["reply"]
    assert spanish["result"]["learner_message"]["details"]["other_language"] == "es"
    assert reply["details"]["intent"] == "other_language"
    assert reply["text"].startswith("Let's speak English, please.")

    # And the conversation goes on from there
    named = learner.say(session["id"], "My name is Ana")
    assert named["result"]["reply"]["text"].startswith("Nice to meet you, Ana!")
