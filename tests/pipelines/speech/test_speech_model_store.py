"""Assembling the packaged Whisper model once, atomically, and loading it once per process."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from pipelines.errors import PipelineError
from pipelines.transcription import TranscriptionConfig, build_transcriber, model_store
from pipelines.transcription.local import LocalTranscriber


@pytest.fixture
def small_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """Two package data folders shaped like the real ones, with small model halves."""
    part1, part2 = tmp_path / "part1" / "data", tmp_path / "part2" / "data"
    part1.mkdir(parents=True)
    part2.mkdir(parents=True)
    (part1 / "model.bin.part1").write_bytes(b"A" * 1000)
    (part2 / "model.bin.part2").write_bytes(b"B" * 700)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (part1 / name).write_text(f"{name} contents")
    monkeypatch.setattr(model_store, "bundled_parts", lambda: (part1, part2))
    return part1, part2


def test_the_packaged_model_is_joined_with_its_files_and_exact_size(
    whisper: LocalTranscriber, model_cache: Path
):
    # Given the transcriber built with no WHISPER_MODEL (the session fixture)
    part1, part2 = model_store.bundled_parts()
    directory = Path(whisper.model_path)

    # Then the cache holds one model directory with the four files and the two halves' size
    assert directory.parent == model_cache
    assert sorted(p.name for p in directory.iterdir()) == [
        "config.json",
        "model.bin",
        "tokenizer.json",
        "vocabulary.txt",
    ]
    expected = (part1 / "model.bin.part1").stat().st_size + (
        part2 / "model.bin.part2"
    ).stat().st_size
    assert (directory / "model.bin").stat().st_size == expected
    assert [p.name for p in model_cache.iterdir()] == [directory.name]


def test_the_model_is_loaded_once_per_process(whisper: LocalTranscriber, model_cache: Path):
    # Given a transcriber already built for the bundled model
    # When another one is built with the same settings
    again = build_transcriber(TranscriptionConfig(provider="local", cache_dir=model_cache))

    # Then both share the same loaded model
    assert isinstance(again, LocalTranscriber)
    assert again._whisper is whisper._whisper
    assert whisper.runtime.device == "cpu" and whisper.runtime.compute_type == "int8"


def test_assembly_concatenates_the_halves(small_parts, tmp_path: Path):
    # Given two small halves
    # When the model is assembled
    directory = model_store.ensure_bundled_model(tmp_path / "cache")

    # Then model.bin is part 1 followed by part 2, and the side files are copied
    assert (directory / "model.bin").read_bytes() == b"A" * 1000 + b"B" * 700
    assert (directory / "vocabulary.txt").read_text() == "vocabulary.txt contents"


def test_a_complete_model_is_reused_without_rewriting(small_parts, tmp_path: Path):
    # Given an assembled model
    first = model_store.ensure_bundled_model(tmp_path / "cache")
    stamp = (first / "model.bin").stat()

    # When it is asked for again
    second = model_store.ensure_bundled_model(tmp_path / "cache")

    # Then the same file is returned untouched
    assert second == first
    after = (second / "model.bin").stat()
    assert (after.st_ino, after.st_mtime_ns) == (stamp.st_ino, stamp.st_mtime_ns)


def test_a_truncated_leftover_is_replaced(small_parts, tmp_path: Path):
    # Given a model directory whose model.bin was cut short (a crash or a full disk)
    directory = model_store.ensure_bundled_model(tmp_path / "cache")
    (directory / "model.bin").write_bytes(b"A" * 10)

    # When the model is asked for
    again = model_store.ensure_bundled_model(tmp_path / "cache")

    # Then it is assembled afresh at the full size
    assert (again / "model.bin").stat().st_size == 1700


def test_a_wrong_size_fails_and_publishes_nothing(
    small_parts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # Given parts whose joined size does not match what was expected
    monkeypatch.setattr(model_store, "_expected_size", lambda part1, part2: 1701)

    # When the model is assembled
    with pytest.raises(PipelineError) as raised:
        model_store.ensure_bundled_model(tmp_path / "cache")

    # Then it fails clearly and leaves neither a model directory nor a staging one behind
    assert raised.value.code == "model_unavailable"
    assert list((tmp_path / "cache").iterdir()) == []


def test_concurrent_assembly_gives_one_complete_model(small_parts, tmp_path: Path):
    # Given eight threads asking for the model at the same moment
    results: list[Path] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def ask() -> None:
        barrier.wait()
        try:
            results.append(model_store.ensure_bundled_model(tmp_path / "cache"))
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then all get the same complete directory and no staging directory remains
    assert errors == []
    assert len(set(results)) == 1
    assert (results[0] / "model.bin").stat().st_size == 1700
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [results[0].name]


def test_model_settings_are_checked(tmp_path: Path):
    # Given a directory without model.bin, a missing directory and a model name
    (tmp_path / "empty").mkdir()

    # Then the first two are refused and the name is passed on to faster-whisper
    for bad in (str(tmp_path / "empty"), str(tmp_path / "missing")):
        with pytest.raises(PipelineError) as raised:
            model_store.resolve_model(bad, tmp_path)
        assert raised.value.code == "model_unavailable"
    assert model_store.resolve_model("base.en", tmp_path) == "base.en"
    assert model_store.resolve_model("Systran/faster-whisper-base", tmp_path) == (
        "Systran/faster-whisper-base"
    )
