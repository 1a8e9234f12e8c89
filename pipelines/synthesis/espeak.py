"""espeak-ng: formant synthesis for about a hundred languages, from the Debian package.

Each sentence is one `espeak-ng --stdout` run, so the first sentence can be streamed while
the next is synthesised. The WAV espeak-ng writes to a pipe has no valid sizes; its fixed
44-byte header is dropped and the PCM kept.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from functools import cache

from pipelines.errors import PipelineError
from pipelines.synthesis.types import SpokenAudio, Voice, sentences

SAMPLE_RATE = 22050
BASE_WPM = 165
_HEADER = 44
_TIMEOUT = 60


@cache
def _binary() -> str | None:
    return shutil.which("espeak-ng")


@cache
def _listed() -> tuple[tuple[str, str, str], ...]:
    """(language, gender, file) of each installed voice, as `espeak-ng --voices` lists them."""
    binary = _binary()
    if binary is None:
        return ()
    out = subprocess.run(
        [binary, "--voices"], capture_output=True, text=True, timeout=_TIMEOUT, check=True
    ).stdout
    rows = []
    for line in out.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 5:
            gender = {"M": "male", "F": "female"}.get(parts[2].split("/")[-1], "")
            rows.append((parts[1], gender, parts[4]))
    return tuple(rows)


class EspeakEngine:
    name = "espeak"

    def voices(self) -> list[Voice]:
        return [
            Voice(
                id=f"espeak:{language}",
                engine=self.name,
                name=file.split("/")[-1],
                language=language,
                sample_rate=SAMPLE_RATE,
                gender=gender or None,
            )
            for language, gender, file in _listed()
        ]

    def speak(self, text: str, voice: Voice, speed: float) -> SpokenAudio:
        binary = _binary()
        if binary is None:
            raise PipelineError("voice_unavailable", "espeak-ng is not installed.")
        words_per_minute = str(round(BASE_WPM * speed))

        def chunks() -> Iterator[bytes]:
            for sentence in sentences(text):
                # The text goes on stdin, never on the command line: no option injection.
                done = subprocess.run(
                    [binary, "-v", voice.language, "-s", words_per_minute, "--stdout"],
                    input=sentence.encode(),
                    capture_output=True,
                    timeout=_TIMEOUT,
                )
                if done.returncode != 0 or len(done.stdout) < _HEADER:
                    raise PipelineError(
                        "synthesis_failed", f"espeak-ng failed: {done.stderr.decode()[:200]}"
                    )
                yield done.stdout[_HEADER:]

        return SpokenAudio(voice, SAMPLE_RATE, chunks())
