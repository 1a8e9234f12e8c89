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

import hashlib
import math
import re
import threading
from dataclasses import dataclass, field
from functools import cache, lru_cache

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
        # No dither of the decoder's own: its generator is process-wide and unseeded, so the
        # same audio scored differently from run to run; `to_pcm` dithers reproducibly. (The
        # model's feat.params already asks for the recording's own cepstral mean.)
        common = {"samprate": 16000, "loglevel": "FATAL", "bestpath": False, "dither": False}
        # A wide beam: a word the speaker skipped must still fit (in a few frames), or the
        # whole alignment fails.
        self._align = Decoder(beam=1e-200, wbeam=1e-200, pbeam=1e-200, **common)
        self._loop = Decoder(
            allphone=f"{model}/en-us-phone.lm.bin", lw=2.0, beam=1e-20, pbeam=1e-20, **common
        )
        self._lock = threading.Lock()
        self._added: dict[str, str] = {}
        self._last_loop: tuple[bytes, list[LoopPhone]] = (b"", [])

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

    def align(
        self, pcm: bytes, tokens: list[str], optional: frozenset[int] = frozenset()
    ) -> list[AlignedWord] | None:
        """Forced alignment of `tokens` (normalised words); None when it cannot align.

        The tokens at the `optional` indices may be skipped: a first decode follows a
        grammar in which each of them is either said or not (see OPTIONAL_SKIP), so the
        acoustics decide whether the audio holds it; the words of the path it finds are then
        aligned, so the words around a skipped one keep their own frames rather than making
        room for it. The words returned are those of that path, in order."""
        entries: list[tuple[int, str, bool]] = []
        for index, token in enumerate(tokens):
            found = self.pronunciation(token)
            if found is not None:
                entries.append((index, found[0], found[2]))
        if not entries:
            return None
        skippable = [index in optional for index, _, _ in entries]
        loop = self.phone_loop(pcm)
        with self._lock:
            try:
                if any(skippable):
                    path = self._said(pcm, entries, skippable, loop)
                    if path is None:
                        return None
                    entries = [entries[i] for i in path]
                self._align.set_align_text(" ".join(entry for _, entry, _ in entries))
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
        words = [w for w in raw if _is_word(w[0])]
        if len(words) != len(entries):
            return None
        aligned = []
        for (index, _, from_g2p), (_, start, duration, phones) in zip(entries, words, strict=True):
            aligned.append(
                AlignedWord(
                    index=index,
                    text=tokens[index],
                    start=round(start * FRAME_SECONDS, 3),
                    end=round((start + duration) * FRAME_SECONDS, 3),
                    from_g2p=from_g2p,
                    phones=[_phone(name, s, d, score, loop) for name, s, d, score in phones],
                )
            )
        return aligned

    def _said(
        self,
        pcm: bytes,
        entries: list[tuple[int, str, bool]],
        skippable: list[bool],
        loop: list[LoopPhone],
    ) -> list[int] | None:
        """Positions of the entries the audio holds: a decode through a grammar in which the
        skippable entries are optional (the caller holds the lock). A skipped entry whose
        place holds speech (GAP_SPEECH_FRAMES of phones, not silence, in the free phone
        loop between the words around it) was said, if not as expected: it is kept, for
        the phones to judge."""
        fsg = self._align.create_fsg("reading", 0, len(entries), _grammar(entries, skippable))
        self._align.add_fsg("reading", fsg)
        self._align.activate_search("reading")
        self._decode(self._align, pcm)
        found = [
            (_ALTERNATE.sub("", s.word), s.start_frame, s.end_frame)
            for s in self._align.seg()
            if _is_word(s.word)
        ]
        path = _path([entry for _, entry, _ in entries], skippable, [f[0] for f in found])
        if path is None:
            return None
        kept = set(path)
        for position in set(range(len(entries))) - kept:
            before = [f[2] for p, f in zip(path, found, strict=True) if p < position]
            after = [f[1] for p, f in zip(path, found, strict=True) if p > position]
            lo = before[-1] + 1 if before else 0
            hi = after[0] - 1 if after else (loop[-1].end if loop else 0)
            if speech_frames(loop, lo, hi) >= GAP_SPEECH_FRAMES:
                kept.add(position)
        return sorted(kept)

    def phone_loop(self, pcm: bytes) -> list[LoopPhone]:
        """The free phone loop's path (the last recording's is kept: measuring asks again)."""
        key = hashlib.sha1(pcm).digest()
        with self._lock:
            if self._last_loop[0] == key:
                return self._last_loop[1]
            self._decode(self._loop, pcm)
            logmath = self._loop.get_logmath()
            segments = [
                # `ascore` is the segment's acoustic score as a probability: back to the
                # decoder's (shifted) log units, in which the alignment scores are too.
                LoopPhone(
                    s.word,
                    s.start_frame,
                    s.end_frame,
                    logmath.log(max(s.ascore, 1e-300)) * _NATS_PER_UNIT,
                )
                for s in self._loop.seg()
            ]
            self._last_loop = (key, segments)
        return segments

    @staticmethod
    def _decode(decoder, pcm: bytes) -> None:
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()


# The grammar's odds against saying an optional word: the audio must explain the word better
# than its absence (its frames left to silence or the neighbours) by ln(1 / 0.05) times the
# language weight (6.5), about 19 nats; a weak or mispronounced word still has speech under
# it and is kept, one the speaker left out is not.
OPTIONAL_SKIP = 0.05
_ALTERNATE = re.compile(r"\(\d+\)$")


def _grammar(entries: list[tuple[int, str, bool]], skippable: list[bool]) -> list[tuple]:
    """A left-to-right grammar over the entries: state i -> i + 1 by entry i, or by an empty
    transition when entry i is optional."""
    transitions: list[tuple] = []
    for i, ((_, entry, _), optional) in enumerate(zip(entries, skippable, strict=True)):
        if optional:
            transitions.append((i, i + 1, 1 - OPTIONAL_SKIP, entry))
            transitions.append((i, i + 1, OPTIONAL_SKIP))
        else:
            transitions.append((i, i + 1, 1.0, entry))
    return transitions


GAP_SPEECH_FRAMES = 12


def speech_frames(loop: list[LoopPhone], lo: int, hi: int) -> int:
    """Frames from `lo` to `hi` (inclusive) in which the free phone loop heard a phone rather
    than silence or noise."""
    return sum(
        max(0, min(hi, seg.end) - max(lo, seg.start) + 1)
        for seg in loop
        if seg.phone != "SIL" and not seg.phone.startswith("+")
    )


def _is_word(name: str) -> bool:
    return name not in ("<sil>", "<s>", "</s>", "(NULL)") and not name.startswith("+")


def _path(entries: list[str], skippable: list[bool], found: list[str]) -> list[int] | None:
    """Which entry each word found is (positions into `entries`, in order), skipping only
    optional entries; None when the words found are not such a path."""

    @cache
    def walk(i: int, j: int) -> tuple[int, ...] | None:
        if j == len(found):
            return () if all(skippable[i:]) else None
        if i == len(entries):
            return None
        if entries[i] == found[j]:
            rest = walk(i + 1, j + 1)
            if rest is not None:
                return (i, *rest)
        return walk(i + 1, j) if skippable[i] else None

    result = walk(0, 0)
    walk.cache_clear()
    return None if result is None else list(result)


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
        phone=name,
        start=start,
        frames=frames,
        score=score * _NATS_PER_UNIT,
        loop_score=loop_score,
        heard=heard,
    )


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


DITHER_SEED = 0
DITHER_SHARE = 0.25
# Audio with stretches of digital silence (synthetic speech, gated microphones) gets a noise
# floor at the learner corpus's usual background level (the quietest frames of its 300 clips:
# median -61 dBFS, none with digital silence): against exact zeros the acoustic model's
# silence takes the end of the last word, which then scores as badly as a wrong one.
NOISE_FLOOR_DBFS = -60.0
SILENT_PEAK = 3 / 32767  # a 10 ms frame no louder than this is digital silence
SILENT_RUN_FRAMES = 5


def has_digital_silence(samples: np.ndarray) -> bool:
    """Whether `samples` (16 kHz) hold SILENT_RUN_FRAMES or more consecutive 10 ms frames of
    digital silence."""
    frames = samples.size // 160
    if frames < SILENT_RUN_FRAMES:
        return False
    quiet = np.abs(samples[: frames * 160]).reshape(frames, 160).max(axis=1) <= SILENT_PEAK
    run = 0
    for q in quiet:
        run = run + 1 if q else 0
        if run >= SILENT_RUN_FRAMES:
            return True
    return False


def to_pcm(samples: np.ndarray) -> bytes:
    """float32 [-1, 1] mono 16 kHz samples as the 16-bit PCM PocketSphinx reads, dithered as
    PocketSphinx's own dither does (one unit added to a quarter of the samples) but from a
    generator seeded afresh for every recording, so the same audio gets the same scores.
    Synthetic or gated audio has runs of exact zeros, whose log energy would otherwise
    dominate the cepstra: it gets a seeded noise floor (NOISE_FLOOR_DBFS) too. Recorded speech
    is left as it is, to a 16-bit unit."""
    clipped = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
    rng = np.random.default_rng(DITHER_SEED)
    if has_digital_silence(clipped):
        floor = rng.normal(0.0, 10 ** (NOISE_FLOOR_DBFS / 20), clipped.size)
        clipped = np.clip(clipped + floor.astype(np.float32), -1.0, 1.0)
    pcm = (clipped * 32767).astype(np.int32)
    noise = rng.random(pcm.size) < DITHER_SHARE
    return np.clip(pcm + noise, -32768, 32767).astype("<i2").tobytes()
