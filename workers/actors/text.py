"""Text jobs: writing assessment, vocabulary hints and learning plans (queue `text`)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import prompts
from pipelines.errors import PipelineError
from pipelines.hints import VocabularyEntry, generate_hint, hint_cache_key
from pipelines.llm import LLMConfig, LLMProvider, build_llm
from pipelines.plans import LessonLink, Task, build_plan
from pipelines.writing import assess_writing
from storage import hints
from storage import plans as plans_service
from storage.models.learning import Word
from storage.tenancy import tenant_select
from workers.engine import JobContext, Outcome, job_actor


def llm_for(settings: Any) -> LLMProvider | None:
    """The configured LLM provider (None for "offline"), built once per process."""
    return _provider(
        LLMConfig(
            provider=settings.llm_provider,
            openai_api_key=settings.openai_api_key,
            openai_base_url=settings.openai_base_url,
            openai_model=settings.openai_model,
            bedrock_region=settings.bedrock_region,
            bedrock_model_id=settings.bedrock_model_id,
            timeout_seconds=settings.llm_timeout_seconds,
        )
    )


@lru_cache(maxsize=8)
def _provider(config: LLMConfig) -> LLMProvider | None:
    return build_llm(config)


@job_actor(
    "writing_assessment",
    name="writing_assessment",
    queue="text",
    max_attempts=4,
    lease_seconds=120,
    time_limit_ms=5 * 60 * 1000,
)
def writing_assessment(ctx: JobContext) -> Outcome:
    given = ctx.input
    result = assess_writing(
        given["text"],
        given["language"],
        task=given.get("task"),
        llm=llm_for(ctx.settings),
        max_chars=ctx.settings.max_text_chars,
        report=ctx.report,
    )
    return Outcome(
        result.to_dict(),
        provider=result.provider,
        model=result.model,
        prompt_version=result.prompt_version,
    )


@job_actor(
    "hint", name="hint", queue="text", max_attempts=4, lease_seconds=60, time_limit_ms=2 * 60 * 1000
)
def hint(ctx: JobContext) -> Outcome:
    given = ctx.input
    organisation_id = ctx.job.organisation_id
    entry = None
    if given.get("word_id"):
        word = ctx.session.scalars(
            tenant_select(Word, organisation_id).where(Word.id == given["word_id"])
        ).first()
        if word is None:  # deleted after the request was accepted
            raise PipelineError("word_not_found", f"No word with id {given['word_id']!r}.")
        entry = vocabulary_entry(word)
    term = entry.term if entry else given["word"]
    llm = llm_for(ctx.settings)
    provider = llm.name if llm else "offline"
    model = llm.model if llm else None
    version = prompts.version("hint") if llm else None
    key = hint_cache_key(
        term,
        given["language"],
        context=given.get("context"),
        entry=entry,
        provider=provider,
        model=model,
        prompt_version=version,
    )
    cached = hints.cached_hint(ctx.session, organisation_id, key)
    if cached is not None:
        return Outcome(
            {**cached.result, "cached": True},
            provider=cached.provider,
            model=cached.model,
            prompt_version=cached.prompt_version,
        )
    ctx.report("generating", 30)
    made = generate_hint(
        term, given["language"], entry=entry, context=given.get("context"), llm=llm
    )
    data = made.to_dict()
    hints.store_hint(
        ctx.session,
        organisation_id,
        key,
        data,
        word_id=made.word_id,
        provider=made.provider,
        model=made.model,
        prompt_version=made.prompt_version,
    )
    return Outcome(
        {**data, "cached": False},
        provider=made.provider,
        model=made.model,
        prompt_version=made.prompt_version,
    )


@job_actor(
    "learning_plan",
    name="learning_plan",
    queue="text",
    max_attempts=4,
    lease_seconds=120,
    time_limit_ms=5 * 60 * 1000,
)
def learning_plan(ctx: JobContext) -> Outcome:
    given = ctx.input
    word_ids = given.get("word_ids")
    if word_ids is None:
        word_ids = plans_service.plan_words(
            ctx.session,
            ctx.job.organisation_id,
            given["language"],
            given.get("current_level"),
            given["target_level"],
        )
    review = given.get("review_word_ids")
    if review is None:
        review = plans_service.review_word_ids(
            ctx.session, ctx.job.organisation_id, given.get("user_id"), given["language"]
        )
    tasks = [
        Task(t["id"], t["title"])
        for t in plans_service.speaking_tasks(
            given["language"],
            given.get("current_level"),
            given["target_level"],
            given.get("prompt_ids") or [],
        )
    ]
    lessons = [
        LessonLink(x["id"], x["title"], x["skill"])
        for x in plans_service.plan_lessons(
            ctx.session,
            ctx.job.organisation_id,
            given.get("user_id"),
            given["language"],
            given.get("current_level"),
            given["target_level"],
        )
    ]
    ctx.report("planning", 20)
    plan = build_plan(
        given["language"],
        given.get("current_level"),
        given["target_level"],
        given.get("goals") or [],
        given["minutes_per_week"],
        given.get("weeks"),
        weak_skills=given.get("weak_skills") or [],
        skill_scores=given.get("skill_scores") or {},
        word_ids=word_ids,
        review_word_ids=review,
        tasks=tasks,
        lessons=lessons,
        llm=llm_for(ctx.settings),
    )
    data = plan.to_dict()
    row = plans_service.save_plan(
        ctx.session,
        ctx.job,
        data,
        user_id=given.get("user_id"),
        level_source=given.get("current_level_source", "request"),
    )
    # The whole schedule is stored with the plan; the result carries the first weeks and
    # where the others are paged (a ten-year plan would make a very large job result).
    return Outcome(
        {"plan_id": row.id, **plans_service.inline_schedule(data, row.id)},
        provider=plan.provider,
        model=plan.model,
        prompt_version=plan.prompt_version,
    )


def vocabulary_entry(word: Word) -> VocabularyEntry:
    """A stored word as the hint pipeline's plain entry."""
    return VocabularyEntry(
        term=word.term,
        language=word.language,
        reading=word.reading,
        translations=list(word.translations or []),
        part_of_speech=word.part_of_speech,
        level=word.level,
        groups=[g.name for g in word.groups],
        example_sentence=None,
        id=word.id,
    )
