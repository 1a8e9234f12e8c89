"""Japanese meanings from JMdict, names from JMnedict and kanji meanings from KANJIDIC2 (the
EDRDG's dictionaries, CC BY-SA 4.0, as `jamdict-data` ships them, read with `jamdict`)."""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

from pipelines.dictionary import DictionaryMissing, Meaning
from pipelines.dictionary.japanese_forms import candidates

JMDICT = "JMdict"
JMNEDICT = "JMnedict"
_KANJI_DIGITS = dict(zip("0123456789", "〇一二三四五六七八九", strict=True))
_LOCAL = threading.local()  # one dictionary connection per thread
_INFLECTING = re.compile(r"\bverb\b|keiyoushi\)")  # verbs, i-adjectives (not adverbs)
_KANA_ONLY = "word usually written using kana alone"
_LANGUAGES = {
    "ger": "German",
    "eng": "English",
    "fre": "French",
    "por": "Portuguese",
    "dut": "Dutch",
    "ita": "Italian",
    "spa": "Spanish",
    "rus": "Russian",
    "chi": "Chinese",
    "kor": "Korean",
    "lat": "Latin",
    "gre": "Greek",
}


def lookup_japanese(word: str) -> Meaning | None:
    """JMdict's entry for the word, else for the dictionary form it inflects from, else
    JMnedict's name entry; numbers read as kanji numerals. None when none has it."""
    term = unicodedata.normalize("NFKC", word.strip())
    if not term:
        return None
    if term.isdigit() and len(term) <= 2:
        found = _entry("".join(_KANJI_DIGITS[d] for d in term), word, "numeral")
        if found:
            return found
    exact = _entry(term, word, "exact")
    if exact and _common_entry(term):
        return exact
    # A stem such as し (する) or 言わ (言う) may also spell a rare word of its own: a common
    # dictionary form it inflects from wins over a rare exact entry.
    stems = [
        m for form in candidates(term) if (m := _entry(form, word, "deinflected", inflecting=True))
    ]
    common = [m for m in stems if _common_entry(m.headword)]
    if common or (stems and exact is None):
        return (common or stems)[0]
    if exact:
        return exact
    if term.isascii() and term.isalpha():  # Latin letters in Japanese text: an English word
        from dataclasses import replace

        from pipelines.dictionary.english import lookup_english

        latin = lookup_english(term)
        return replace(latin, method=f"Latin-script word, {latin.method}") if latin else None
    return _name(term, word)


@lru_cache(maxsize=16384)
def _entries(form: str) -> tuple:
    result = _jamdict().lookup(form, strict_lookup=True, lookup_chars=False, lookup_ne=False)
    return tuple(result.entries)


@lru_cache(maxsize=4096)
def _char(literal: str):
    """KANJIDIC2's entry for one kanji (None when it lacks the character)."""
    return _jamdict().get_char(literal)


def _entry(form: str, word: str, method: str, inflecting: bool = False) -> Meaning | None:
    entries = [e for e in _entries(form) if _senses(e, inflecting)]
    if not entries:
        return None
    entry = min(entries, key=lambda e: _rank(e, form))
    senses = _senses(entry, inflecting)
    glosses = ["; ".join(g.text for g in s.gloss[:3]) for s in senses[:3]]
    reading = entry.kana_forms[0].text if entry.kana_forms else None
    aids = _kanji_aids(form)
    if all(_is_kana(c) for c in form) and entry.kanji_forms:  # りんご: 林檎
        spelled = entry.kanji_forms[0].text
        aids = [f"In kanji it is written {spelled}.", *_kanji_aids(spelled)]
    loans = [(s.lang, s.text) for s in senses[0].lsource if s.text]
    for lang, text in loans[:1]:
        aids.append(f"It comes from {_LANGUAGES.get(lang, lang)} '{text}'.")
    return Meaning(
        word=word,
        headword=form,
        glosses=[g for g in glosses if g],
        reading=reading,
        part_of_speech=_pos(senses[0].pos),
        examples=[e for s in senses for e in s.examples][:2],
        aids=aids,
        source=JMDICT,
        method=method,
    )


def _common_entry(form: str) -> bool:
    return any(_priority(e, form) for e in _entries(form))


def _senses(entry, inflecting: bool) -> list:
    senses = [s for s in entry.senses if s.gloss]
    if inflecting:  # a stem must lead to a verb or adjective, not to any homograph
        senses = [s for s in senses if any(_INFLECTING.search(p) for p in s.pos)]
    return senses


def _rank(entry, form: str) -> tuple:
    """Likeliest entry first. A word asked in kana is most likely one usually written in kana
    (する is 為る, not 刷る 'to print'); then the spelling on the ichi1 list of basic words;
    then the entry with more senses (basic words have many: 成る 'to become' before 生る 'to
    bear fruit'); then by newspaper frequency rank."""
    tags = [t for f in [*entry.kanji_forms, *entry.kana_forms] if f.text == form for t in f.pri]
    kana = all(_is_kana(c) for c in form)
    usually_kana = any(_KANA_ONLY in s.misc for s in entry.senses[:1])
    nf = min((int(t[2:]) for t in tags if t.startswith("nf") and t[2:].isdigit()), default=99)
    return (
        not tags,
        kana and not usually_kana,
        "ichi1" not in tags,
        -len(entry.senses),
        nf,
        int(entry.idseq or 0),
    )


def _is_kana(ch: str) -> bool:
    name = unicodedata.name(ch, "")
    return "HIRAGANA" in name or "KATAKANA" in name or ch == "ー"


def _priority(entry, form: str) -> int:
    """JMdict marks common spellings with priority tags (news1, ichi1, spec1, nf12, ...):
    the more lists a spelling is on, the more common it is."""
    return max(
        (len(f.pri) for f in [*entry.kanji_forms, *entry.kana_forms] if f.text == form), default=0
    )


def _pos(tags: list[str]) -> str | None:
    if not tags:
        return None
    return tags[0].split(" (")[0]


def _kanji_aids(form: str) -> list[str]:
    """The meanings of the word's kanji (KANJIDIC2): 'The kanji 食 means eat, food.'"""
    aids = []
    for literal in dict.fromkeys(c for c in form if "CJK UNIFIED" in unicodedata.name(c, "")):
        char = _char(literal)
        if char is not None:
            meanings = [
                m
                for m in char.meanings(english_only=True)
                if not m.startswith("(") and not any(d.isdigit() for d in m)
            ]
            if meanings:
                aids.append(f"The kanji {char.literal} means {', '.join(meanings[:3])}.")
    return aids[:3]


def _name(term: str, word: str) -> Meaning | None:
    result = _jamdict().lookup(term, strict_lookup=True, lookup_chars=False, lookup_ne=True)
    names = [n for n in result.names if n.senses and n.senses[0].gloss]
    if not names:
        return None
    from pipelines.cefr import zipf

    # JMnedict has no frequencies: the reading most used as a word is the likeliest.
    name = max(names, key=lambda n: zipf(n.kana_forms[0].text, "ja") if n.kana_forms else 0)
    sense = name.senses[0]
    kinds = ", ".join(getattr(sense, "name_type", []) or []) or "name"
    return Meaning(
        word,
        term,
        [f"{sense.gloss[0].text} ({kinds})"],
        reading=name.kana_forms[0].text if name.kana_forms else None,
        part_of_speech="proper noun",
        source=JMNEDICT,
        method="name",
    )


def _jamdict():
    jam = getattr(_LOCAL, "jamdict", None)
    if jam is None:
        jam = _LOCAL.jamdict = _open()
    return jam


def _open():
    _check_installed()
    from jamdict import Jamdict

    return Jamdict()


@lru_cache(maxsize=1)
def _check_installed() -> None:
    try:
        import jamdict  # noqa: F401
        import jamdict_data
    except ImportError as exc:
        raise DictionaryMissing(
            f"JMdict is not installed ({exc.name} is missing): install jamdict and "
            "jamdict-data from requirements.txt."
        ) from None
    from pathlib import Path

    if not (Path(jamdict_data.__file__).parent / "jamdict.db").is_file():
        raise DictionaryMissing(
            "jamdict-data is installed without its jamdict.db: reinstall jamdict-data."
        )


_NAME_KINDS = {
    "masc": "a man's given name",
    "fem": "a woman's given name",
    "given": "a given name",
    "surname": "a surname",
    "place": "a place name",
    "company": "a company name",
    "product": "a product name",
    "organization": "an organisation",
    "person": "a person's name",
    "station": "a station name",
    "unclass": "a name",
}


def name_by_gloss(word: str) -> Meaning | None:
    """A Latin-script name (William, Obama, Facebook) found by its romanised gloss in
    JMnedict, with how Japanese writes it."""
    term = word.strip()
    if not term.isascii() or not term.replace(".", "").isalpha():
        return None
    result = _jamdict().lookup(term.title(), strict_lookup=True, lookup_chars=False, lookup_ne=True)
    for name in result.names:
        for sense in name.senses:
            spellings = {t.strip().lower() for g in sense.gloss for t in g.text.split("/")}
            if term.lower() in spellings:
                kinds = getattr(sense, "name_type", []) or ["unclass"]
                kind = " or ".join(dict.fromkeys(_NAME_KINDS.get(k, "a name") for k in kinds))
                written = name.kana_forms[0].text if name.kana_forms else None
                return Meaning(
                    word,
                    term.title(),
                    [f"{term.title()}: {kind}"],
                    part_of_speech="proper noun",
                    source=JMNEDICT,
                    method="name",
                    aids=[f"In Japanese it is written {written}."] if written else [],
                )
    return None
