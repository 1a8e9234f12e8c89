"""`python -m pipelines.pronunciation.encoder_study`: do Whisper encoder states add to the
PocketSphinx measurements? (issue #15)

Step 1 (`encode`): every corpus clip is encoded once (see `encoder.encode`) and its states
kept as float16 in data/pronunciation/encoder/<clip>.npy, with the seconds it took.
Step 2 (`cv`): on the clips measured in the training cache (features.jsonl, with word
times), the states are pooled (clip: mean and spread over the speech, from the first word's
start to the last word's end; word: mean over its aligned span, minus the clip's mean so a
voice or microphone does not count as pronunciation) and tested in the same
leave-one-speaker-out protocol as `train`, every choice (PCA size, penalty) made on speakers
held out inside the training speakers:

a) clip scores: ridge on PCA-reduced clip states, alone, and today's fit with its clip
   ridge given the PCA components as extra inputs (trees unchanged);
b) words: today's word logistic given the word's PCA-reduced states as extra inputs.

It prints the figures of each variant beside today's, on the same clips, with a paired
bootstrap over speakers of the difference.
Step 3 (`cost`): the primed Whisper decode and the encoder pass timed on the same clips.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from pipelines.pronunciation.corpus import read_corpus
from pipelines.pronunciation.train import DEFAULT_CACHE, DEFAULT_DATA


def cost(data: Path, clips: int, log=print) -> dict[str, float]:
    """Seconds per audio second of the primed Whisper decode and of one encoder pass, timed
    one after the other on the same clips in one process (so under the same load)."""
    from pipelines.audio import decode_audio
    from pipelines.pronunciation.corpus import _spread, sentence_case
    from pipelines.pronunciation.encoder import encode, whisper_model
    from pipelines.transcription import TranscriptionConfig, build_transcriber

    transcriber = build_transcriber(TranscriptionConfig())
    model = whisper_model()
    totals = {"audio": 0.0, "transcribe": 0.0, "encode": 0.0}
    for row in _spread(read_corpus(data), clips):
        audio = decode_audio(row["path"])
        started = time.perf_counter()
        transcriber.transcribe(row["path"], "en", prompt=sentence_case(row["text"]))
        totals["transcribe"] += time.perf_counter() - started
        started = time.perf_counter()
        encode(audio.samples, audio.sample_rate, model)
        totals["encode"] += time.perf_counter() - started
        totals["audio"] += audio.duration
    figures = {
        "clips": clips,
        "audio_seconds": round(totals["audio"], 1),
        "transcribe_per_audio_second": round(totals["transcribe"] / totals["audio"], 3),
        "encode_per_audio_second": round(totals["encode"] / totals["audio"], 3),
        "encode_over_transcribe": round(totals["encode"] / totals["transcribe"], 3),
    }
    log(json.dumps(figures))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.pronunciation.encoder_study")
    parser.add_argument("step", choices=("encode", "cv", "cost"))
    parser.add_argument("--clips", type=int, default=30, help="clips timed by `cost`")
    parser.add_argument(
        "--clip-only", action="store_true", help="`cv`: today's, the encoder's and the blend"
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--states", type=Path, default=None)
    args = parser.parse_args(argv)
    states = args.states or args.cache.parent / "encoder"
    if args.step == "encode":
        from pipelines.pronunciation.encoder_fit import encode_corpus

        encode_corpus(read_corpus(args.data), states)
    elif args.step == "cost":
        cost(args.data, args.clips)
    else:
        from pipelines.pronunciation.encoder_cv import run

        run(args.cache, states, clip_only=args.clip_only)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
