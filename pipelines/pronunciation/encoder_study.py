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
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from pipelines.pronunciation.corpus import read_corpus
from pipelines.pronunciation.train import DEFAULT_CACHE, DEFAULT_DATA


def encode_corpus(data: Path, folder: Path, log=print) -> None:
    """Encode every clip not yet encoded into `folder` (one .npy per clip, float16) and
    append the time each took to folder/times.jsonl."""
    from pipelines.audio import decode_audio
    from pipelines.pronunciation.encoder import encode, whisper_model

    folder.mkdir(parents=True, exist_ok=True)
    model = whisper_model()
    rows = read_corpus(data)
    with open(folder / "times.jsonl", "a", encoding="utf-8") as times:
        for n, row in enumerate(rows, 1):
            target = folder / (Path(row["file"]).stem + ".npy")
            if target.exists():
                continue
            audio = decode_audio(row["path"])
            started = time.perf_counter()
            states = encode(audio.samples, audio.sample_rate, model).states
            seconds = time.perf_counter() - started
            np.save(target, states.astype(np.float16))
            record = {"file": row["file"], "duration": audio.duration, "encode_seconds": seconds}
            times.write(json.dumps(record) + "\n")
            times.flush()
            if n % 20 == 0:
                log(f"encoded {n}/{len(rows)} clips")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.pronunciation.encoder_study")
    parser.add_argument("step", choices=("encode", "cv"))
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--states", type=Path, default=None)
    args = parser.parse_args(argv)
    states = args.states or args.cache.parent / "encoder"
    if args.step == "encode":
        encode_corpus(args.data, states)
    else:
        from pipelines.pronunciation.encoder_cv import run

        run(args.cache, states)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
