"""Conversation benchmark: the offline round trip of a spoken turn, and Piper's speed.

Round trip, as the conversation jobs run it minus the queue: a 5-second learner turn (made
by espeak-ng, 16-bit WAV) is transcribed by the local Whisper base model (language detected,
as in `conversation_transcribe`), answered by the scenario partner, and the reply spoken by
Piper into a WAV. Each stage is timed; `first audio` is when Piper's first sentence is
ready (what the streaming endpoint can send first). One warm-up turn loads the models, as a
long-lived worker has them loaded.

Piper real-time factor: seconds of synthesis per second of audio over a six-sentence text
(the goal is under 0.2 on CPU).

Wall times depend on what else the machine runs; the CPU seconds the process used (all its
threads) are reported beside them, with the load average in the results' `machine`.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from pipelines.conversation import ConversationContext, build_partner
from pipelines.synthesis import SynthesisConfig, Synthesizer, wav_bytes
from pipelines.transcription import TranscriptionConfig, build_transcriber

TURN = "I would like a cheese pizza and a small salad, please."
PARAGRAPH = (
    "Good morning and welcome to the station. The next train to the city leaves at "
    "ten past nine. It stops at every station on the way. Please buy your ticket "
    "before you get on. The café on platform two sells coffee and sandwiches. Have a "
    "pleasant journey."
)
GOAL_ROUND_TRIP_S = 3.0
GOAL_PIPER_RTF = 0.2


def _turn_audio(directory: Path) -> tuple[Path, float]:
    """About five seconds of learner speech, as a WAV file, and its duration."""
    wav = subprocess.run(
        ["espeak-ng", "-v", "en-us", "-s", "120", "--stdout"],
        input=TURN.encode(),
        capture_output=True,
        check=True,
    ).stdout
    path = directory / "turn.wav"
    path.write_bytes(wav)
    return path, (len(wav) - 44) / 2 / 22050


def _round_trip(transcriber: Any, synthesizer: Synthesizer, path: Path) -> dict[str, float]:
    partner = build_partner("scenario")
    context = ConversationContext(
        "en", "A2", scenario="ordering-food", state={"step": 0, "misses": 0}
    )
    cpu = time.process_time()
    started = time.perf_counter()
    transcript = transcriber.transcribe(str(path), None)
    heard = time.perf_counter()
    reply = partner.reply(context, transcript.text)
    answered = time.perf_counter()
    audio = synthesizer.speak(reply.text, voice="piper:en_US-joe-medium")
    chunks = iter(audio.chunks)
    first = next(chunks)
    first_at = time.perf_counter()
    pcm = first + b"".join(chunks)
    done = time.perf_counter()
    return {
        "transcribe_s": heard - started,
        "reply_s": answered - heard,
        "synthesise_s": done - answered,
        "first_audio_s": first_at - started,
        "total_s": done - started,
        "total_cpu_s": time.process_time() - cpu,
        "reply_audio_s": len(pcm) / 2 / audio.sample_rate,
        "intent_ok": float(reply.intent == "order_food"),
    }


def _piper_rtf(synthesizer: Synthesizer) -> dict[str, float]:
    cpu = time.process_time()
    started = time.perf_counter()
    wav, seconds = wav_bytes(synthesizer.speak(PARAGRAPH, voice="piper:en_US-joe-medium"))
    elapsed = time.perf_counter() - started
    used = time.process_time() - cpu
    return {
        "rtf": elapsed / seconds,
        "cpu_rtf": used / seconds,
        "audio_s": seconds,
        "synthesis_s": elapsed,
    }


def _median(rows: list[dict[str, float]], key: str) -> float:
    return round(statistics.median(row[key] for row in rows), 3)


def run(runs: int = 5) -> dict[str, Any]:
    transcriber = build_transcriber(
        TranscriptionConfig(provider="local", cache_dir=Path("data/models"))
    )
    synthesizer = Synthesizer(SynthesisConfig(engines=("piper",)))
    with tempfile.TemporaryDirectory() as tmp:
        path, turn_seconds = _turn_audio(Path(tmp))
        _round_trip(transcriber, synthesizer, path)  # warm-up: models load
        trips = [_round_trip(transcriber, synthesizer, path) for _ in range(runs)]
    _piper_rtf(synthesizer)
    rtfs = [_piper_rtf(synthesizer) for _ in range(runs)]
    return {
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "runs": runs,
        "turn_audio_s": round(turn_seconds, 2),
        "round_trip": {key: _median(trips, key) for key in trips[0]},
        "round_trip_max_s": round(max(t["total_s"] for t in trips), 3),
        "piper": {key: _median(rtfs, key) for key in rtfs[0]},
        "goals": {"round_trip_s": GOAL_ROUND_TRIP_S, "piper_rtf": GOAL_PIPER_RTF},
    }
