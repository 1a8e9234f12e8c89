"""Forced alignment and a free phone loop with PocketSphinx (en-US model, CMUdict).

Two passes over the same 16 kHz audio:

- forced alignment of a word sequence: every phone's frames and its acoustic score. The
  decoder normalises each frame's senone scores by the best senone of that frame, so a
  phone's score is already log P(frames | phone) - log max P(frames | any state);
- a free phone loop (all-phone search with the model's phone bigram): the phones the
  speaker most likely said, with their scores.

Goodness of pronunciation (GOP) of an aligned phone = its forced score / its frames, in nats
per frame (<= 0; 0 means the expected phone explains every frame as well as the best senone
of that frame). The loop GOP = (its forced score - the phone loop's score over the same
frames) / its frames: how much better (> 0) or worse (< 0) the expected phone explains the
audio than the phones a free decode found there. The loop phone that overlaps the aligned
phone most is the phone "heard".

Decoders are not thread-safe and take ~0.3 s to load, so each process keeps one of each
behind a lock.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from pipelines.errors import PipelineError
from pipelines.pronunciation.phones import ARPABET, espeak_available, g2p, strip_stress

FRAME_SECONDS = 0.01
MIN_FRAMES_PER_PHONE = 3  # the HMM topology: a phone cannot be shorter than 3 frames
# PocketSphinx scores are log base 1.0001 shifted right by 10 bits (SENSCR_SHIFT).
_NATS_PER_UNIT = 1024 * math.log(1.0001)


@dataclass(frozen=True)
class AlignedPhone:
    phone: str
    start: int  # frame
    frames: int
    score: float  # forced-alignment score, nats
    loop_score: float  # the phone loop's score over the same frames, nats
    heard: str

    @property
    def gop(self) -> float:
        return self.score / max(1, self.frames)

    @property
    def loop_gop(self) -> float:
        return (self.score - self.loop_score) / max(1, self.frames)


@dataclass(frozen=True)
class AlignedWord:
    index: int  # position in the word list that was aligned
    text: str
    start: float
    end: float
    phones: list[AlignedPhone] = field(default_factory=list)
    from_g2p: bool = False


@dataclass(frozen=True)
class LoopPhone:
    phone: str
    start: int
    end: int  # inclusive frame
    score: float


class Aligner:
    """PocketSphinx decoders for alignment and the phone loop (one per process)."""

    def __init__(self) -> None:
        from pocketsphinx import Decoder, get_model_path

        model = get_model_path("en-us")
        # Dither: synthetic or gated audio has runs of exact zeros, whose log energy would
        # otherwise dominate the cepstra; it leaves recorded speech as it is.
        common = {"samprate": 16000, "loglevel": "FATAL", "bestpath": False, "dither": True}
        # A wide beam: a word the speaker skipped must still fit (in a few frames), or the
        # whole alignment fails.
        self._align = Decoder(beam=1e-200, wbeam=1e-200, pbeam=1e-200, **common)
        self._loop = Decoder(allphone=f"{model}/en-us-phone.lm.bin", lw=2.0, beam=1e-20,
                             pbeam=1e-20, **common)  # fmt: skip
        self._lock = threading.Lock()
        self._added: dict[str, str] = {}

    def pronunciation(self, token: str) -> tuple[str, tuple[str, ...], bool] | None:
        """(dictionary entry, phones, from G2P) for a normalised token, or None."""
        entry = token.lower().replace("’", "'")
        with self._lock:
            phones = self._align.lookup_word(entry)
        if phones:
            return entry, tuple(phones.split()), False
        if not espeak_available():
            return None
        arpabet = tuple(p for p in g2p(entry) if strip_stress(p) in ARPABET)
        if not arpabet:
            return None
        safe = "g2p_" + "".join(c if c.isalnum() else "_" for c in entry)
        with self._lock:
            if safe not in self._added:
                self._align.add_word(safe, " ".join(arpabet), True)
                self._added[safe] = entry
        return safe, arpabet, True

    def in_dictionary(self, token: str) -> bool:
        with self._lock:
            return bool(self._align.lookup_word(token.lower()))

    def known_words(self, tokens: list[str]) -> list[bool]:
        """Which tokens the pronunciation dictionary lists."""
        return [self.in_dictionary(token) for token in tokens]

    def align(self, pcm: bytes, tokens: list[str]) -> list[AlignedWord] | None:
        """Forced alignment of `tokens` (normalised words); None when it cannot align."""
        entries: list[tuple[int, str, bool]] = []
        for index, token in enumerate(tokens):
            found = self.pronunciation(token)
            if found is not None:
                entries.append((index, found[0], found[2]))
        if not entries:
            return None
        text = " ".join(entry for _, entry, _ in entries)
        with self._lock:
            try:
                self._align.set_align_text(text)
                self._decode(self._align, pcm)
                self._align.set_alignment()
                self._decode(self._align, pcm)
                alignment = self._align.get_alignment()
            except RuntimeError:
                return None
            if alignment is None:
                return None
            raw = [
                (w.name, w.start, w.duration, [(p.name, p.start, p.duration, p.score) for p in w])
                for w in alignment
            ]
        words = [w for w in raw
                 if w[0] not in ("<sil>", "<s>", "</s>") and not w[0].startswith("+")]  # fmt: skip
        if len(words) != len(entries):
            return None
        loop = self.phone_loop(pcm)
        aligned = []
        for (index, _, from_g2p), (_, start, duration, phones) in zip(entries, words, strict=True):
            aligned.append(AlignedWord(
                index=index, text=tokens[index], start=round(start * FRAME_SECONDS, 3),
                end=round((start + duration) * FRAME_SECONDS, 3), from_g2p=from_g2p,
                phones=[_phone(name, s, d, score, loop) for name, s, d, score in phones],
            ))  # fmt: skip
        return aligned

    def phone_loop(self, pcm: bytes) -> list[LoopPhone]:
        with self._lock:
            self._decode(self._loop, pcm)
            logmath = self._loop.get_logmath()
            segments = [
                # `ascore` is the segment's acoustic score as a probability: back to the
                # decoder's (shifted) log units, in which the alignment scores are too.
                LoopPhone(s.word, s.start_frame, s.end_frame,
                          logmath.log(max(s.ascore, 1e-300)) * _NATS_PER_UNIT)
                for s in self._loop.seg()
            ]  # fmt: skip
        return segments

    @staticmethod
    def _decode(decoder, pcm: bytes) -> None:
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()


def _phone(name: str, start: int, frames: int, score: int, loop: list[LoopPhone]) -> AlignedPhone:
    end = start + frames - 1
    loop_score = 0.0
    overlap: dict[str, int] = {}
    for seg in loop:
        lo, hi = max(start, seg.start), min(end, seg.end)
        if hi < lo:
            continue
        share = (hi - lo + 1) / max(1, seg.end - seg.start + 1)
        loop_score += seg.score * share
        overlap[seg.phone] = overlap.get(seg.phone, 0) + hi - lo + 1
    heard = max(overlap, key=overlap.__getitem__) if overlap else ""
    if heard.startswith("+") or heard == "SIL":
        heard = "SIL" if heard == "SIL" else "NOISE"
    return AlignedPhone(
        phone=name, start=start, frames=frames, score=score * _NATS_PER_UNIT,
        loop_score=loop_score, heard=heard,
    )  # fmt: skip


_child_process = [False]


def decode_in_child_process(enabled: bool = True) -> None:
    """Decode in a child process from now on (embedded mode: see `child.py`)."""
    _child_process[0] = enabled


def aligner() -> Aligner:
    """The process-wide aligner: loaded on first use, in this process or in a child one."""
    if _child_process[0]:
        from pipelines.pronunciation.child import child_aligner

        return child_aligner()  # type: ignore[return-value]  # the same methods
    return local_aligner()


@lru_cache(maxsize=1)
def local_aligner() -> Aligner:
    """The aligner of this process, loaded on first use."""
    try:
        return Aligner()
    except (ImportError, RuntimeError, OSError) as exc:
        raise PipelineError(
            "pronunciation_unavailable", f"The pronunciation aligner could not load: {exc}"
        ) from exc


def to_pcm(samples: np.ndarray) -> bytes:
    """float32 [-1, 1] mono 16 kHz samples as the 16-bit PCM PocketSphinx reads."""
    clipped = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
    return (clipped * 32767).astype("<i2").tobytes()
