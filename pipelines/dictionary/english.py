"""English meanings from WordNet 3.0 (Debian's `wordnet-base` files, NLTK's reader), with the
closed-class words and contractions from `english_grammar.py`, and names (which WordNet
mostly lacks) from JMnedict's romanised spellings."""

from __future__ import annotations

import io
import threading
import warnings
from functools import lru_cache
from pathlib import Path

from pipelines.dictionary import DictionaryMissing, Meaning
from pipelines.dictionary.english_grammar import GRAMMAR_WORDS, contraction

WORDNET_DIR = Path("/usr/share/wordnet")  # where Debian's wordnet-base puts the database
WORDNET_SOURCE = "WordNet 3.0"
GRAMMAR_SOURCE = "platform table of English grammar words"
_POS = {"n": "noun", "v": "verb", "a": "adjective", "s": "adjective", "r": "adverb"}
# NLTK's reader needs the lexicographer-file names, which Debian does not ship; they are
# the fixed list of wordnet's lexnames(5) page and are only used to name a synset's file.
_LEXNAMES = "".join(f"{i:02d}\tlexname{i}\t0\n" for i in range(45))
_LOCK = threading.Lock()  # the reader seeks shared file handles


def lookup_english(word: str) -> Meaning | None:
    """WordNet's most frequent senses of the word (or its lemma), the grammar-word table for
    closed-class words, or the parts of a contraction; None when neither has it."""
    low = word.strip().lower().replace("\u2019", "'")
    if not low:
        return None
    if low in GRAMMAR_WORDS:
        pos, gloss = GRAMMAR_WORDS[low]
        return Meaning(
            word,
            low,
            [gloss],
            part_of_speech=pos,
            source=GRAMMAR_SOURCE,
            method="closed-class word",
        )
    parts = contraction(low)
    if parts is not None:
        return _contracted(word, low, *parts)
    found = _wordnet(word, low)
    if found is None:  # names are not in WordNet; JMnedict lists many by their spelling
        from pipelines.dictionary.japanese import name_by_gloss

        found = name_by_gloss(word)
    return found


def _contracted(word: str, low: str, first: str, second: str) -> Meaning | None:
    if (
        second.startswith("is / has")
        and first not in GRAMMAR_WORDS
        and first not in ("there", "here", "let")
    ):
        base = lookup_english(first)  # "women's", "today's": a possessive
        if base is None:
            return None
        return Meaning(
            word,
            base.headword,
            [f"of or belonging to: {first} ({base.glosses[0]})"],
            part_of_speech="possessive",
            examples=base.examples,
            aids=base.aids,
            source=base.source,
            method="possessive of " + base.method,
        )
    if second.startswith("is / has"):
        second = "is / has"  # after a pronoun or "there": never a possessive
    return Meaning(
        word,
        f"{first} {second}",
        [f"short for '{first} {second}'"],
        part_of_speech="contraction",
        source=GRAMMAR_SOURCE,
        method="contraction split",
        aids=[f"The apostrophe stands for the missing letters of '{first} {second}'."],
    )


def _wordnet(word: str, low: str) -> Meaning | None:
    reader = wordnet()
    form = low.replace(" ", "_")
    with _LOCK:
        synsets = reader.synsets(form)
        if not synsets:
            return None
        bases = {form} | {b for p in "nvar" if (b := reader.morphy(form, p))}
        ranked = sorted(synsets, key=lambda s: -_count(s, bases))  # stable: sense order ties
        top = ranked[0]
        lemma = _lemma_of(top, bases)
        definitions = list(dict.fromkeys(_clean(s.definition()) for s in ranked[:3]))
        examples = [e for s in ranked[:3] for e in s.examples()]
        own = [e for e in examples if any(b.replace("_", " ") in e.lower() for b in bases)]
        examples = (own or examples)[:2]
        aids = _aids(top, lemma)
    headword = lemma.name().replace("_", " ")
    return Meaning(
        word=word,
        headword=headword,
        glosses=definitions,
        part_of_speech=_POS.get(top.pos()),
        examples=examples,
        aids=aids,
        source=WORDNET_SOURCE,
        method="exact" if headword.lower() == low else "lemma",
    )


def _clean(definition: str) -> str:
    """WordNet leaves the separators of quoted attributions in some definitions."""
    parts = [p.strip() for p in definition.split(";")]
    return "; ".join(p for p in parts if p and not p.startswith("-"))


def _count(synset, bases: set[str]) -> int:
    """How often WordNet's tagged corpus used the word in this sense."""
    return sum(lemma.count() for lemma in synset.lemmas() if lemma.name().lower() in bases)


def _lemma_of(synset, bases: set[str]):
    for lemma in synset.lemmas():
        if lemma.name().lower() in bases:
            return lemma
    return synset.lemmas()[0]


def _aids(synset, lemma) -> list[str]:
    """Facts a memory aid can use: synonyms, what it is a kind of, its opposite, its family."""
    name = lemma.name()
    aids = []
    synonyms = [n.replace("_", " ") for n in synset.lemma_names() if n != name][:3]
    if synonyms:
        aids.append(f"Same meaning: {', '.join(synonyms)}.")
    hypernyms = synset.hypernyms()
    if hypernyms:
        aids.append(f"It is a kind of {hypernyms[0].lemma_names()[0].replace('_', ' ')}.")
    antonyms = [a.name().replace("_", " ") for a in lemma.antonyms()]
    if antonyms:
        aids.append(f"Opposite: {', '.join(antonyms[:2])}.")
    family = sorted(
        {
            r.name().replace("_", " ")
            for r in lemma.derivationally_related_forms()
            if r.name() != name
        }
    )[:3]
    if family:
        aids.append(f"Same word family: {', '.join(family)}.")
    return aids


@lru_cache(maxsize=1)
def wordnet():
    """NLTK's WordNet reader on the Debian files, loaded once per process."""
    if not (WORDNET_DIR / "index.noun").is_file():
        raise DictionaryMissing(
            f"WordNet is not installed: {WORDNET_DIR}/index.noun is missing. Install the "
            "Debian package wordnet-base (`apt-get install wordnet-base`; `make test` does)."
        )
    import nltk.data
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    class DebianWordNet(WordNetCorpusReader):
        def open(self, fileid):
            if fileid == "lexnames":
                return io.StringIO(_LEXNAMES)
            return super().open(fileid)

        def map_wn(self, version="wordnet"):
            return None  # no mapping to other WordNet versions (only used for OMW data)

    # NLTK reads only from its data paths; the Debian directory is added to them.
    if str(WORDNET_DIR) not in nltk.data.path:
        nltk.data.path.append(str(WORDNET_DIR))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "multilingual functions are not available"
        return DebianWordNet(nltk.data.FileSystemPathPointer(str(WORDNET_DIR)), None)
