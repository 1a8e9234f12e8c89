"""deploy/grafana/: every metric and label a dashboard queries is one the platform exports.

The exported names and labels come from the API's real /metrics after a job was submitted
and run by a real worker, so a renamed metric or label fails here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.deploy.deployfiles import ROOT
from tests.jobs.helpers import submit_ping, wait_job

DASHBOARDS = sorted((ROOT / "deploy" / "grafana").glob("*.json"))
FUNCTIONS_AND_KEYWORDS = {
    "sum",
    "max",
    "min",
    "avg",
    "count",
    "rate",
    "irate",
    "increase",
    "histogram_quantile",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "and",
    "or",
    "unless",
    "label_values",
    "topk",
    "bottomk",
    "clamp_min",
    "offset",
    "bool",
}
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "gauge": ("",),
    "summary": ("_sum", "_count", "_created"),
}


def expressions(dashboard: dict[str, Any]) -> list[str]:
    found = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("expr"), str):
                found.append(node["expr"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(dashboard.get("panels", []))
    for variable in dashboard.get("templating", {}).get("list", []):
        query = variable.get("query")
        if variable.get("type") == "query":
            found.append(query["query"] if isinstance(query, dict) else query)
    return found


def metric_names(expr: str) -> set[str]:
    """Series names in a PromQL expression (or a label_values() query)."""
    text = re.sub(r'"[^"]*"', '""', expr)  # string literals
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    label_values = re.fullmatch(r"\s*label_values\(\s*([\w:]+)\s*,\s*\w+\s*\)\s*", text)
    if label_values:
        return {label_values.group(1)}
    names = set()
    for match in re.finditer(r"[A-Za-z_:][\w:]*", text):
        after = text[match.end() :].lstrip()
        if after.startswith("(") or match.group(0) in FUNCTIONS_AND_KEYWORDS:
            continue
        names.add(match.group(0))
    return names


def label_names(expr: str) -> set[str]:
    text = re.sub(r'"[^"]*"', '""', expr)
    labels = set()
    for group in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", text):
        labels |= {label.strip() for label in group.split(",") if label.strip()}
    for matchers in re.findall(r"\{([^}]*)\}", text):
        labels |= set(re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", matchers))
    labels |= set(re.findall(r"label_values\(\s*[\w:]+\s*,\s*(\w+)\s*\)", text))
    return labels


@pytest.fixture
def exported(client, accounts, worker) -> dict[str, set[str]]:
    """Series name -> its labels, from /metrics after one job ran and while one is queued or
    running (the queue gauges list the queues that have such jobs)."""
    admin = accounts.admin()
    done = submit_ping(client, admin.headers).get_json()
    wait_job(client, done["id"], admin.headers)
    submit_ping(client, admin.headers, sleep_ms=2_000)
    text = client.get("/metrics").get_data(as_text=True)
    series: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(text):
        for suffix in SUFFIXES.get(family.type, ("",)):
            series.setdefault(family.name + suffix, set())
        for sample in family.samples:
            series.setdefault(sample.name, set()).update(sample.labels)
    return series


def test_the_expression_reader_finds_metrics_and_labels():
    expr = (
        "histogram_quantile(0.95, sum by (type, le) (rate(job_run_seconds_bucket"
        '{type=~"$type", status="a b"}[$__rate_interval]))) / on (type) queue_depth'
    )
    assert metric_names(expr) == {"job_run_seconds_bucket", "queue_depth"}
    assert label_names(expr) == {"type", "le", "status"}
    assert metric_names("label_values(jobs, type)") == {"jobs"}


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_every_metric_a_dashboard_queries_is_exported(path: Path, exported):
    dashboard = json.loads(path.read_text())
    queries = expressions(dashboard)
    assert queries, "the dashboard queries nothing"
    used = set()
    for expr in queries:
        names = metric_names(expr)
        assert names, expr
        used |= names
        assert sorted(names - set(exported)) == [], expr
        # And every label it groups or filters by is one of those series' labels
        labels = set().union(*(exported[name] for name in names)) | {"le"}
        assert sorted(label_names(expr) - labels) == [], expr
    # And it shows the queue and job metrics README documents
    assert {
        "queue_depth",
        "queue_running",
        "queue_oldest_queued_seconds",
        "jobs",
        "jobs_submitted_total",
        "jobs_finished_total",
        "job_run_seconds_bucket",
    } <= used


def test_a_renamed_metric_would_fail(exported):
    assert "queue_length" not in exported and "queue_depth" in exported
    assert exported["queue_depth"] == {"queue"}
