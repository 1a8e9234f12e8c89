"""One Markdown table of every benchmark's numbers: platform, baseline, ratio."""

from __future__ import annotations

from typing import Any

Row = tuple[str, str, str, str, str]


def _num(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}x"


def _spread(result: dict[str, Any], key: str) -> str:
    low, high = result.get(f"{key}_spread", (None, None))
    return "" if low is None else f" ({_num(float(low))}-{_num(float(high))})"


def _api(result: dict[str, Any]) -> list[Row]:
    if "baselines" not in result:  # a result of the bench before the same-work baseline
        return _api_bare_only(result)
    mine, name = result["platform"], "API submission"
    rows: list[Row] = []
    for base_key, label in (("same_work", "same work"), ("bare", "bare Flask")):
        base, ratio = result["baselines"][base_key], result["ratio"][base_key]
        for key, ratio_key, measure in (
            ("rps", "rps", "requests/s"),
            ("p50_ms", "p50", "latency p50 (ms)"),
            ("p99_ms", "p99", "latency p99 (ms)"),
        ):
            rows.append(
                (
                    name,
                    f"{measure} vs {label}",
                    _num(mine[key]) + _spread(mine, key),
                    _num(base[key]) + _spread(base, key),
                    _ratio(ratio[ratio_key]),
                )
            )
        cpu = "CPU ms/request, app + database"
        rows.append(
            (
                name,
                f"{cpu} vs {label}",
                f"{mine['app_cpu_ms']:.2f} + {mine['db_cpu_ms']:.2f}",
                f"{base['app_cpu_ms']:.2f} + {base['db_cpu_ms']:.2f}",
                _ratio(ratio["cpu"]),
            )
        )
    failures = mine["non_2xx"] + mine["socket_errors"]
    same = result["baselines"]["same_work"]
    rows.append(
        (
            name,
            "answered / jobs created / failed",
            f"{mine['requests']:,} / {mine['jobs_created']:,} / {failures}",
            f"{same['requests']:,} / - / {same['non_2xx'] + same['socket_errors']}",
            "-",
        )
    )
    return rows


def _api_bare_only(result: dict[str, Any]) -> list[Row]:
    mine, base, ratio = result["platform"], result["baseline"], result["ratio"]
    name = "API submission"
    rows = [
        (name, "requests/s", _num(mine["rps"]), _num(base["rps"]), _ratio(ratio["rps"])),
        (
            name,
            "latency p50 (ms)",
            _num(mine["p50_ms"]),
            _num(base["p50_ms"]),
            _ratio(ratio["p50"]),
        ),
        (
            name,
            "latency p99 (ms)",
            _num(mine["p99_ms"]),
            _num(base["p99_ms"]),
            _ratio(ratio["p99"]),
        ),
    ]
    failures = mine["non_2xx"] + mine["socket_errors"]
    rows.append(
        (
            name,
            "answered / jobs created / failed",
            f"{mine['requests']:,} / {mine['jobs_created']:,} / {failures}",
            f"{base['requests']:,} / - / {base['non_2xx'] + base['socket_errors']}",
            "-",
        )
    )
    return rows


def _jobs(result: dict[str, Any]) -> list[Row]:
    mine, name = result["platform"], "Job overhead"
    bases = [("bare Dramatiq", result["baseline"])]
    if "handwritten" in result:
        bases.insert(0, ("hand-written", result["handwritten"]))
    rows = []
    for label, base in bases:
        for key, measure in (
            ("p50_ms", "submit-to-done p50 (ms)"),
            ("p99_ms", "submit-to-done p99 (ms)"),
        ):
            a, b = mine["sequential"][key], base["sequential"][key]
            rows.append((name, f"{measure} vs {label}", _num(a), _num(b), _ratio(a / b)))
        for key, measure in (
            ("jobs_per_s", "worker drain (jobs/s)"),
            ("submit_per_s", "submissions (jobs/s)"),
        ):
            a, b = mine["burst"][key], base["burst"][key]
            rows.append((name, f"{measure} vs {label}", _num(a), _num(b), _ratio(a / b)))
    return rows


def _upload(result: dict[str, Any]) -> list[Row]:
    rows = []
    for label, sizes in result["sizes"].items():
        name = f"Upload {label}"
        mine, base = sizes["platform"], sizes["baseline"]
        if "mib_per_s" in mine:
            rows.append(
                (
                    name,
                    "throughput (MiB/s)",
                    _num(mine["mib_per_s"]),
                    _num(base["mib_per_s"]),
                    _ratio(sizes.get("ratio")),
                )
            )
        else:
            rows.append(
                (
                    name,
                    "throughput (MiB/s)",
                    f"refused {mine['status']} {mine.get('code')}",
                    _num(base["mib_per_s"]),
                    "-",
                )
            )
        rows.append(
            (
                name,
                "API worker peak RSS (MiB)",
                _num(mine["worker_peak_rss_mib"]),
                f"idle {_num(result['worker_idle_rss_mib'])}",
                "-",
            )
        )
    return rows


def _transcription(result: dict[str, Any]) -> list[Row]:
    rows = []
    seconds = result["settings"].get("audio_seconds")
    bare = result["rows"].get("bare faster-whisper", {})
    for label, row in result["rows"].items():
        if label == "bare faster-whisper":
            continue
        rows.append(
            (
                "Transcription",
                f"{label}: p50 s (RTF)",
                f"{_num(row['p50_s'], 2)} ({row['rtf']:.3f})",
                f"{_num(bare.get('p50_s'), 2)} ({bare.get('rtf', 0):.3f})",
                _ratio(row.get("ratio_to_bare")),
            )
        )
    if seconds:
        rows.append(("Transcription", "clip length (s)", _num(float(seconds)), "", ""))
    return rows


def _writing(result: dict[str, Any]) -> list[Row]:
    rows = []
    for label, text in result["texts"].items():
        same = "" if text["same_result"] else " (results differ!)"
        rows.append(
            (
                "Writing",
                f"{label}, {text['errors']} errors: p50 ms{same}",
                _num(text["platform_p50_ms"]),
                _num(text["baseline_p50_ms"]),
                _ratio(text["ratio"]),
            )
        )
    return rows


def _batch(result: dict[str, Any]) -> list[Row]:
    mine, base, settings = result["platform"], result["baseline"], result["settings"]
    name = f"Class batch, {settings['recordings']} recordings"
    lag = mine["progress_lag_ms"]
    return [
        (
            name,
            f"wall s ({settings['audio_seconds']:.0f} s of audio): batch / one by one",
            _num(mine["seconds"]),
            _num(base["seconds"]),
            _ratio(result["ratio"]),
        ),
        (
            name,
            "progress shown after an item ends: p50 / max ms (within 1 s)",
            f"{lag['p50']} / {lag['max']} ({lag['within_1s']}/{settings['recordings']})",
            "-",
            "-",
        ),
        (
            name,
            "console pages and assets, median ms (all five)",
            _num(result["console"]["all_pages_and_assets_ms"]),
            "-",
            "-",
        ),
    ]


def _conversation(result: dict[str, Any]) -> list[Row]:
    trip, piper, goals = result["round_trip"], result["piper"], result["goals"]
    name = f"Conversation ({result['turn_audio_s']:.1f} s turn)"
    rows = [
        (
            name,
            f"round trip median (s; goal < {goals['round_trip_s']:g})",
            _num(trip["total_s"], 2),
            "-",
            "-",
        ),
        (name, "  CPU seconds used (all threads)", _num(trip["total_cpu_s"], 2), "-", "-"),
    ]
    for key, label in (
        ("transcribe_s", "  transcribe (s)"),
        ("reply_s", "  partner reply (s)"),
        ("synthesise_s", "  synthesise reply (s)"),
        ("first_audio_s", "first reply audio ready (s)"),
    ):
        rows.append((name, label, _num(trip[key], 3), "-", "-"))
    rows.append(
        (
            "Piper synthesis",
            f"real-time factor (goal < {goals['piper_rtf']:g})",
            _num(piper["rtf"], 3),
            "-",
            "-",
        )
    )
    rows.append(
        ("Piper synthesis", "CPU seconds per audio second", _num(piper["cpu_rtf"], 3), "-", "-")
    )
    return rows


def _search(result: dict[str, Any]) -> list[Row]:
    mine, base, settings = result["platform"], result["baseline"], result["settings"]
    name = f"Search, {settings['lessons']:,} lessons"
    return [
        (
            name,
            f"{label} (ms)",
            _num(mine[key], 2),
            _num(base[key], 2),
            _ratio(mine[key] / base[key] if base[key] else None),
        )
        for key, label in (("p50_ms", "query p50"), ("p95_ms", "query p95"))
    ]


_RENDERERS = {
    "api": _api,
    "jobs": _jobs,
    "upload": _upload,
    "transcription": _transcription,
    "writing": _writing,
    "batch": _batch,
    "conversation": _conversation,
    "search": _search,
}


def render(benchmarks: dict[str, Any]) -> str:
    rows: list[Row] = []
    for name, render_rows in _RENDERERS.items():
        result = benchmarks.get(name)
        if result is None:
            continue
        if "error" in result:
            rows.append((name, "error", result["error"][:80], "", ""))
            continue
        rows.extend(render_rows(result))
    header: Row = ("benchmark", "measure", "platform", "baseline", "ratio")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(5)]

    def line(row: Row) -> str:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        return "| " + " | ".join(cells) + " |"

    separator = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([line(header), separator, *(line(row) for row in rows)])
