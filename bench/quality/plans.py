"""Plans: the hand-written cases (`tests/fixtures/plans/cases.json`) and a sweep over goals,
budgets, plan lengths and weak skills, each plan checked for the plan properties
(`pipelines/plans/checks.py`): every goal skill timed, weeks that fit the budget, every
week scheduled, suggestions within the request limits, weak skills given more time."""

from __future__ import annotations

import itertools
import json
from typing import Any

from bench.quality import ROOT

CASES = ROOT / "tests" / "fixtures" / "plans" / "cases.json"
BUDGETS = (15, 45, 69, 70, 120, 180, 300, 1000, 3000)
WEEKS = (None, 4, 52, 200)
WEAK = (
    [],
    ["speaking"],
    ["listening"],
    ["grammar", "writing"],
    ["reading", "pronunciation", "vocabulary"],
)
LEVELS = ((None, "A1"), ("A2", "B1"), ("A1", "C2"), ("B2", "C1"))


def run(quick: bool = False) -> dict[str, Any]:
    from pipelines.plans import GOALS, build_plan
    from pipelines.plans.checks import PROPERTIES, expectation_problems, plan_problems

    cases = json.loads(CASES.read_text(encoding="utf-8"))["cases"]
    failed_cases = {}
    for case in cases:
        args = (
            case["language"],
            case["current"],
            case["target"],
            case["goals"],
            case["minutes"],
            case["weeks"],
        )
        plan, plain = build_plan(*args, weak_skills=case["weak"]), build_plan(*args)
        problems = [p for found in plan_problems(plan, plain).values() for p in found]
        problems += expectation_problems(plan, case["expect"])
        if problems:
            failed_cases[case["id"]] = problems
    goal_sets = [[g.id] for g in GOALS] + [
        ["conversation", "travel"],
        ["work", "exam"],
        ["academic", "culture", "relocation"],
    ]
    if quick:
        goal_sets = goal_sets[:2]
    broken: dict[str, int] = dict.fromkeys(PROPERTIES, 0)
    examples: dict[str, str] = {}
    plans = 0
    for goals, minutes, weeks, weak, (current, target) in itertools.product(
        goal_sets, BUDGETS, WEEKS, WEAK, LEVELS
    ):
        args = ("en", current, target, goals, minutes, weeks)
        plan = build_plan(*args, weak_skills=weak)
        plain = build_plan(*args) if weak else None
        plans += 1
        for name, found in plan_problems(plan, plain).items():
            if found:
                broken[name] += 1
                examples.setdefault(name, f"{args} weak={weak}: {found[0]}")
    return {
        "cases": len(cases),
        "cases_passed": len(cases) - len(failed_cases),
        "failed_cases": failed_cases,
        "sweep_plans": plans,
        "sweep_broken": broken,
        "sweep_examples": examples,
    }


def render(result: dict[str, Any]) -> str:
    lines = [
        "### plans",
        "",
        f"Hand-written cases: {result['cases_passed']}/{result['cases']} keep every property "
        "and their own expectations.",
        "",
        f"Sweep of {result['sweep_plans']:,} plans (goals x budgets x lengths x weak skills x "
        "level gaps), plans breaking each property:",
        "",
        "| property | plans breaking it |",
        "|---|---|",
    ]
    lines += [f"| {name} | {count} |" for name, count in result["sweep_broken"].items()]
    for case, problems in result["failed_cases"].items():
        lines.append(f"\n- case {case}: {'; '.join(problems)}")
    for name, example in result["sweep_examples"].items():
        lines.append(f"\n- {name}, e.g. {example}")
    return "\n".join(lines)
