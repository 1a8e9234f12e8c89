"""Sample prompt values and valid model answers for each prompt (used by several tests)."""

from __future__ import annotations

from typing import Any

VALUES: dict[str, dict[str, Any]] = {
    "writing_assessment": {
        "language": "English",
        "task": "Describe your last holiday.",
        "text": "I goed to the beach with my freind.",
        "measured": {"cefr": "A2", "errors": 1},
    },
    "hint": {
        "language": "Japanese",
        "word": "猫",
        "context": "Animals",
        "entry": {"reading": "neko", "translations": ["cat"]},
    },
    "learning_plan": {
        "language": "Spanish",
        "current_level": "A2",
        "target_level": "B1",
        "goals": ["travel"],
        "minutes_per_week": 180,
        "weeks": 12,
        "weak_skills": ["listening"],
        "resources": {"word_ids": ["w1"], "prompt_ids": []},
        "draft": {"feasible": True},
    },
    "speaking_assessment": {
        "language": "English",
        "task": "Talk about your hometown.",
        "transcript": "I live in a small town near the sea.",
        "reference_text": None,
        "duration_seconds": 12.5,
        "fluency": {"speech_rate_wpm": 86.0, "pauses": 3},
        "word_confidence": {"mean": 0.91, "low": ["sea"]},
        "lexical_profile": {"A1": 0.9, "A2": 0.1},
        "measured_scores": {"fluency": 48},
    },
    "conversation_reply": {
        "language": "English",
        "level": "A2",
        "persona": "a waiter in a small café",
        "setting": "ordering food and drinks",
        "history": "partner: Hello! What would you like to drink?",
        "learner_text": "I want a coffee with milk, please.",
        "guidance": "",
    },
}

ANSWERS: dict[str, dict[str, Any]] = {
    "writing_assessment": {
        "cefr_level": "A2",
        "scores": {"grammar": 55, "vocabulary": 60, "coherence": 70, "task": 65, "overall": 60},
        "errors": [
            {
                "original": "goed",
                "offset": 2,
                "length": 4,
                "category": "grammar",
                "message": "Past tense of 'go' is 'went'.",
                "replacements": ["went"],
            },
            {
                "original": "freind",
                "offset": 28,
                "length": 6,
                "category": "spelling",
                "message": "Misspelled word.",
                "replacements": ["friend"],
            },
        ],
        "corrected_text": "I went to the beach with my friend.",
        "feedback": {
            "summary": "A clear simple sentence with two errors.",
            "strengths": ["Clear message"],
            "improvements": ["Learn irregular past tenses"],
        },
    },
    "hint": {
        "word": "猫",
        "reading": "neko",
        "english": "cat",
        "ai_hint": "Neko is the everyday word for a cat; think of the 'maneki-neko' lucky cat.",
        "example_sentence": "猫が好きです。",
        "example_translation": "I like cats.",
        "part_of_speech": "noun",
    },
    "learning_plan": {
        "summary": "Twelve weeks of listening-first practice for travel.",
        "feasible": True,
        "estimated_hours": 35.0,
        "focus": ["listening", "speaking"],
        "weeks": [
            {
                "week": 1,
                "theme": "At the airport",
                "sessions": [
                    {
                        "skill": "listening",
                        "activity": "Airport announcements",
                        "minutes": 60,
                        "word_ids": ["w1"],
                        "prompt_ids": [],
                    }
                ],
            }
        ],
        "milestones": [{"week": 12, "description": "Reach B1", "level": "B1"}],
    },
    "speaking_assessment": {
        "cefr_level": "A2",
        "scores": {
            "pronunciation": 70,
            "fluency": 48,
            "vocabulary": 50,
            "grammar": 60,
            "coherence": 55,
            "overall": 55,
        },
        "feedback": {
            "pronunciation": "Mean word confidence 0.91 shows mostly clear words.",
            "fluency": "Speech rate 86 words/min; fluent speech is usually above 120.",
            "vocabulary": "90% of words are A1.",
            "grammar": "Simple present used correctly.",
            "coherence": "One idea, on topic.",
            "overall": "A2: simple connected speech on a familiar topic.",
        },
        "summary": "Clear but slow and simple.",
    },
    "conversation_reply": {
        "reply": "A coffee with milk, of course. Would you like something to eat?",
        "correction": None,
        "follow_up_question": "Would you like something to eat?",
    },
}
