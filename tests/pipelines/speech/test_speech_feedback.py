"""Speaking feedback a teacher would sign: pace against a band, task relevance, linking words,
and reading tasks levelled by how the text was read. Transcripts are timed by hand, so each
case isolates one measurement."""

from __future__ import annotations

import pytest

from pipelines.cefr import LEVELS, analyse_text
from pipelines.relevance import task_relevance, wordnet_available
from pipelines.speaking import READING_METHOD, assess_speaking
from pipelines.transcription.types import Transcript, Word

A2_ANSWER = (
    "Last summer I went to the beach with my family. We swam in the sea and we ate fish in a "
    "small restaurant. My brother bought a new hat. The weather was hot and sunny. In the "
    "evening we walked in the town and I bought some presents for my friends. I was very "
    "tired but it was a great holiday."
)
HOLIDAY_TASK = "Describe your last holiday: where you went, what you did and who you went with."
OFF_TASK = "Describe the best mobile phone you have owned and explain its camera and battery."


def timed(text: str, words_per_minute: float, *, probability: float = 0.95) -> Transcript:
    """A transcript of `text` spoken at an even pace, with a short gap between sentences."""
    tokens = text.split()
    seconds_per_word = 60.0 / words_per_minute
    words, clock = [], 0.0
    for token in tokens:
        start = clock
        end = start + seconds_per_word * 0.85
        words.append(
            Word(
                text=" " + token, start=round(start, 3), end=round(end, 3), probability=probability
            )
        )
        clock += seconds_per_word
    return Transcript(
        text=text,
        language="en",
        language_probability=0.99,
        duration=round(clock + 0.3, 3),
        words=words,
        provider="test",
        model="timed",
    )


def rank(level: str) -> int:
    return LEVELS.index(level)


@pytest.mark.parametrize("wpm", [40, 80, 290])
def test_speech_rate_outside_the_band_loses_fluency(wpm):
    # Given the same answer at a comfortable pace and at a halting or racing one
    comfortable = assess_speaking(timed(A2_ANSWER, 140))
    outside = assess_speaking(timed(A2_ANSWER, wpm))
    # Then the rate outside 110-170 words/min scores lower fluency
    assert outside.scores["fluency"] < comfortable.scores["fluency"]
    assert "110-170" in outside.feedback["fluency"]


@pytest.mark.parametrize("wpm", [210, 262, 320])
def test_speed_above_200_wpm_never_raises_the_level(wpm):
    # Given an A2 answer spoken at 140 words/min and far faster
    normal = assess_speaking(timed(A2_ANSWER, 140))
    fast = assess_speaking(timed(A2_ANSWER, wpm))
    # Then the fast one is never placed higher, nor above the language's own level
    language_level = normal.features["language_estimate"]["level"]
    assert rank(fast.cefr_level) <= rank(normal.cefr_level)
    assert rank(fast.cefr_level) <= rank(language_level)
    assert fast.cefr_score <= normal.cefr_score
    assert "too fast" in fast.feedback["fluency"]


def test_an_off_topic_answer_scores_at_least_one_band_below_the_same_answer_on_topic():
    # Given one answer about a holiday, assessed for a holiday task and for a phone task
    on_topic = assess_speaking(timed(A2_ANSWER, 140), prompt_text=HOLIDAY_TASK)
    off_topic = assess_speaking(timed(A2_ANSWER, 140), prompt_text=OFF_TASK)
    # Then the off-topic one is at least one band lower, and the result says why
    assert rank(off_topic.cefr_level) <= rank(on_topic.cefr_level) - 1
    assert off_topic.relevance is not None and off_topic.relevance["off_topic"] is True
    assert on_topic.relevance is not None and on_topic.relevance["off_topic"] is False
    assert "does not address the task" in off_topic.feedback["overall"]
    assert {"phone", "camera", "battery"} <= set(off_topic.relevance["missing"])


def test_relevance_matches_inflected_task_words():
    # Given a task about travelling and an answer that says "travelled" and "trips"
    result = assess_speaking(
        timed(
            "I travelled a lot last year. My trips were to Italy and "
            "Spain, and I loved the cities.",
            140,
        ),
        prompt_text="Talk about travel and the cities you visited.",
    )
    # Then the inflected forms count as the task's words
    assert result.relevance is not None
    assert {"travel", "cities"} <= set(result.relevance["used"])


@pytest.mark.skipif(not wordnet_available(), reason="WordNet (wordnet-base) is not installed")
def test_one_shared_definition_word_does_not_make_an_answer_on_topic():
    # Given an answer about urban policy that says "favored", for a task about a favourite
    # pet (WordNet defines "favourite" as "something regarded with special favor")
    answer = (
        "Critics contend that infrastructure investment has disproportionately favored "
        "affluent districts, thereby exacerbating existing inequalities."
    )
    pet = task_relevance(
        "Describe your favourite pet animal and how you care for it.", answer, "en"
    )
    # And an answer on a normal day in other words than the task's
    day = task_relevance(
        "Describe a normal day in your life.",
        "In the morning I get up at seven and I have breakfast.",
        "en",
    )
    # Then the first is off topic, the second is not (a related word still counts)
    assert pet.off_topic is True and pet.related_score == 0.0
    assert pet.method == "keyword-idf-wordnet-v2"
    assert day.off_topic is False and day.related_score >= 20


def test_and_between_clauses_is_a_linking_word_but_not_between_nouns():
    # Given clauses joined by "and" with a new subject, and nouns joined by "and"
    clauses = analyse_text("We went to the park and we played football. And then it rained.", "en")
    nouns = analyse_text("I like fish and chips. I like salt and pepper.", "en")
    # Then only the clause-linking ones count
    assert clauses.connectors >= 3  # "and we", sentence-initial "And", "then"
    assert nouns.connectors == 0


def test_a_reading_task_is_levelled_by_the_reading_not_by_the_words_of_the_text():
    # Given a B2 text read aloud accurately, and the same text read with half its words missing
    text = (
        "Although remote work offers considerable flexibility, it also presents challenges "
        "that many companies underestimated. Employees who live alone often report feeling "
        "isolated, while managers struggle to evaluate performance."
    )
    words = text.split()
    partial = " ".join(words[::2])
    complete = assess_speaking(timed(text, 140), reference_text=text)
    broken = assess_speaking(timed(partial, 70, probability=0.6), reference_text=text)
    # Then vocabulary and grammar are not judged (the learner chose none of the words)
    for result in (complete, broken):
        assert result.scores["vocabulary"] is None and result.scores["grammar"] is None
        assert result.cefr_method == READING_METHOD
    # And the poor reading is placed lower though the text is the same
    assert rank(broken.cefr_level) < rank(complete.cefr_level)
    assert broken.cefr_score < complete.cefr_score - 20


def test_reading_a_simple_text_well_does_not_show_an_advanced_level():
    # Given an A1 text read perfectly
    text = "My name is Anna. I have a dog. My dog is big. I like my dog. We play in the park."
    result = assess_speaking(timed(text, 140), reference_text=text)
    # Then the level is at most one band above the text's
    text_level = result.features["language_estimate"]["level"]
    assert rank(result.cefr_level) <= rank(text_level) + 1
