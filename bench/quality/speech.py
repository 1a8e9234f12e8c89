"""Speech: pronunciation, fluency and prosody scores against experts, and error detection.

Two data sets:
- the learner read-aloud corpus (`learner-speech`: 300 clips, 15 Mandarin-speaking learners,
  expert sentence and word scores). The model is refitted leaving each speaker out in turn
  (`pipelines.pronunciation.train.cross_validate`), so every figure is speaker-wise
  cross-validated. Measurements come from `data/pronunciation/features.jsonl` and Whisper
  encoder states from `data/pronunciation/encoder/` when the training command already made
  them (same code, same clips), else they are made here;
- synthetic espeak-ng readings of corpus sentences of four words or more
  (`pipelines.pronunciation.synthetic`): correct, with two phonemes of one word substituted,
  with a word dropped, with a word inserted, each assessed end to end as the speaking job
  does it (Whisper primed with the text, a free Whisper decode, alignment, scoring); each
  step is timed (see `_speech_synthetic`: the Whisper decodes are cached).
Quick mode: SYNTHETIC_QUICK synthetic sentences (of SYNTHETIC_FULL), and 4 clips per speaker
unless the corpus is measured.
"""

from __future__ import annotations

from typing import Any

from bench.quality import DATA_DIR, ROOT
from bench.quality._speech_synthetic import synthetic

CORPUS = DATA_DIR / "learner-speech"
CACHE = ROOT / "data" / "pronunciation" / "features.jsonl"
SYNTHETIC_CACHE = ROOT / "data" / "pronunciation" / "synthetic.jsonl"
SYNTHETIC_FULL = 60  # sentences (x 4 recordings)
SYNTHETIC_QUICK = 15
GOALS = {"accuracy": 0.70, "fluency": 0.70, "prosodic": 0.65, "total": 0.72}


def run(quick: bool = False) -> dict[str, Any]:
    from pipelines.pronunciation.corpus import measure_corpus
    from pipelines.pronunciation.encoder_fit import attach_states, encode_corpus, encode_seconds
    from pipelines.pronunciation.synthetic import choose_sentences
    from pipelines.pronunciation.train import cross_validate

    # Cached measurements cost nothing: quick mode only limits clips still to be measured.
    records = measure_corpus(CORPUS, CACHE, limit=60 if quick and not CACHE.exists() else None)
    states = CACHE.parent / "encoder"
    measured = {r["file"] for r in records}
    encode_corpus([row for row in _rows() if row["file"] in measured], states)
    records = attach_states(records, states)
    cv = cross_validate(records)
    audio = sum(r["duration"] for r in records)
    cv["transcribe_seconds_per_audio_second"] = round(
        sum(r["transcribe_seconds"] for r in records) / audio, 3
    )
    encoded = encode_seconds(states)
    cv["encoder_seconds_per_audio_second"] = round(
        sum(encoded[r["file"]] for r in records) / audio, 3
    )
    cv["pronunciation_seconds_per_audio_second"] = round(
        sum(r["measure_seconds"] + encoded[r["file"]] for r in records) / audio, 3
    )
    sentences = choose_sentences(
        [r["text"] for r in _rows()], SYNTHETIC_QUICK if quick else SYNTHETIC_FULL
    )
    return {"corpus": cv, "synthetic": synthetic(sentences, SYNTHETIC_CACHE)}


def _rows() -> list[dict]:
    from pipelines.pronunciation.corpus import read_corpus

    return read_corpus(CORPUS)


def render(result: dict[str, Any]) -> str:
    cv, syn = result["corpus"], result["synthetic"]
    lines = [
        "### speech (pronunciation: gop-pocketsphinx-whisper-v5)",
        "",
        f"Learner corpus: {cv['clips_scored']} of {cv['clips']} clips, {cv['speakers']} "
        "speakers, leave-one-speaker-out cross-validation.",
        "",
        "| measure | value | goal |",
        "|---|---|---|",
    ]
    for target, goal in GOALS.items():
        lines.append(f"| Pearson {target} vs experts | {cv['pearson'][target]:.2f} | >= {goal} |")
    d = cv["mispronounced_detection"]
    lines += [
        f"| expert-correct words (score >= 8) accepted | {cv['correct_accepted']:.1%} | >= 95 % |",
        f"| mispronounced words (score < 8, {cv['mispronounced_words']}): precision / recall"
        f" / F1 | {d['precision']:.2f} / {d['recall']:.2f} / {d['f1']:.2f} | F1 >= 0.5 |",
        f"| false omissions (every corpus word was read) | {cv['false_omissions']} of "
        f"{cv['words']} | - |",
        f"| transcription (primed) s per audio s | "
        f"{cv['transcribe_seconds_per_audio_second']:.3f} | - |",
        f"| pronunciation pass s per audio s (alignment, measurements and the encoder's "
        f"{cv['encoder_seconds_per_audio_second']:.3f}) | "
        f"{cv['pronunciation_seconds_per_audio_second']:.3f} (x"
        f"{_ratio(cv):.2f} of transcription) | <= 0.5x |",
        "",
        f"Synthetic espeak-ng readings: {syn['sentences']} sentences x 4 "
        f"({len(syn['failures'])} not judged or failed: {', '.join(syn['failures']) or '-'}).",
        "",
        "| error | precision | recall | F1 | goal |",
        "|---|---|---|---|---|",
    ]
    goals = {"mispronunciation": ">= 0.8", "omission": ">= 0.95", "insertion": ">= 0.95"}
    for kind, f in syn["detection"].items():
        lines.append(
            f"| {kind} | {f['precision']:.2f} | {f['recall']:.2f} | {f['f1']:.2f} | {goals[kind]} |"
        )
    lines += [
        "",
        f"Words of correct synthetic readings accepted: "
        f"{syn['correct_reading_words_accepted']:.1%}. Seconds per audio second: primed "
        f"decode (the transcript) {syn['transcribe_seconds_per_audio_second']:.3f}, free "
        f"decode (readings only) {syn['free_decode_seconds_per_audio_second']:.3f}, alignment "
        f"and scoring {syn['pronunciation_seconds_per_audio_second']:.3f}.",
    ]
    return "\n".join(lines)


def _ratio(cv: dict) -> float:
    return cv["pronunciation_seconds_per_audio_second"] / max(
        1e-9, cv["transcribe_seconds_per_audio_second"]
    )


__all__ = ["render", "run"]
