"""The measurements the English level model reads: one named, deterministic vector per text.

Everything comes from `analyse_text` (tokens, sentences, cefrpy word levels, wordfreq Zipf
frequencies) plus a few counts over the same tokens. The groups follow the readability and
CEFR-classification literature (Xia et al. 2016; Pilán et al. 2016; Montgomerie 2021):

- word-level CEFR profile: share of running words and of distinct words at each level;
- Zipf frequency distribution: mean, percentiles, shares of rare words;
- word length and syllables (vowel groups), long and polysyllabic words;
- sentence length distribution: mean, spread, percentiles, long sentences;
- subordination, connectors, commas and other clause punctuation per sentence;
- lexical diversity: MTLD, moving-average TTR, root TTR;
- part-of-speech ratios from cefrpy's tag lists (words it knows in one class only) and
  closed-class word lists: pronouns, determiners, prepositions, modals, auxiliaries;
- morphology: nominalisations, -ly adverbs, -ing and -ed forms, passive candidates;
- register: first/second person, questions, exclamations, quoted speech, contractions.

Text length itself is left out on purpose: graded readers for higher levels are longer, but a
learner's answer is as long as its task asks, and a model that reads length would grade the
task rather than the language.
"""

from __future__ import annotations

import math
import re
import statistics
from functools import lru_cache

from pipelines.cefr.features import TextFeatures, analyse_text
from pipelines.cefr.lexicon import LEVELS, UNKNOWN, english_tags, word_level, zipf
from pipelines.cefr.tokenize import split_sentences

_VOWEL_GROUPS = re.compile(r"[aeiouy]+")
_PRONOUNS = frozenset(
    "i me my mine myself you your yours yourself he him his himself she her hers herself it "
    "its itself we us our ours ourselves they them their theirs themselves".split()
)
_FIRST_SECOND = frozenset("i me my mine we us our ours you your yours".split())
_DETERMINERS = frozenset("a an the this that these those some any each every no".split())
_PREPOSITIONS = frozenset(
    "about above across after against along among around at before behind below beneath "
    "beside between beyond by despite down during except for from in inside into near of off "
    "on onto out outside over past since through throughout to toward towards under "
    "underneath until upon with within without".split()
)
_MODALS = frozenset("can could may might must shall should will would ought".split())
_BE = frozenset("be am is are was were been being".split())
_NOMINAL = ("tion", "sion", "ment", "ness", "ity", "ance", "ence", "ism")


def syllables(word: str) -> int:
    """Vowel groups, with a silent final -e dropped: within one of a dictionary count for
    most English words, which is all a distribution needs."""
    word = word.lower()
    count = len(_VOWEL_GROUPS.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee")) and count > 1:
        count -= 1
    return max(1, count)


def feature_vector(text: str, features: TextFeatures | None = None) -> dict[str, float]:
    """Named measurements of an English text, in a fixed order (see module docstring)."""
    features = features or analyse_text(text, "en")
    sentences = split_sentences(text, "en")
    words = [t.norm for s in sentences for t in s.tokens if t.norm[:1].isalpha()]
    if not words:
        raise ValueError("no words to measure")
    n = len(words)
    types = set(words)
    lex = features.lexical
    vector: dict[str, float] = {}

    for level in (*LEVELS, UNKNOWN):
        vector[f"tokens_{level}"] = lex.level_shares[level]
    type_levels = [word_level(w, "en") for w in types]
    for level in (*LEVELS, UNKNOWN):
        vector[f"types_{level}"] = type_levels.count(level) / len(types)
    vector["mean_type_level"] = lex.mean_type_level
    vector["advanced_share"] = lex.advanced_share
    rank = {lv: i + 1 for i, lv in enumerate(LEVELS)}
    known_types = sorted(rank[lv] for lv in type_levels if lv in rank)
    vector["type_level_p90"] = _percentile(known_types, 0.9) if known_types else 0.0

    zipfs = sorted(z for z in (zipf(w, "en") for w in words) if z > 0)
    type_zipfs = sorted(z for z in (zipf(w, "en") for w in types) if z > 0)
    vector["zipf_mean"] = statistics.fmean(zipfs) if zipfs else 0.0
    for q in (0.05, 0.1, 0.25, 0.5):
        vector[f"zipf_p{int(q * 100)}"] = _percentile(zipfs, q) if zipfs else 0.0
    vector["type_zipf_mean"] = statistics.fmean(type_zipfs) if type_zipfs else 0.0
    vector["type_zipf_p25"] = _percentile(type_zipfs, 0.25) if type_zipfs else 0.0
    for cut in (3.0, 4.0, 5.0):
        vector[f"rare_below_{cut:.0f}"] = sum(1 for z in zipfs if z < cut) / n
    vector["absent_from_wordfreq"] = (n - len(zipfs)) / n

    lengths = [len(w) for w in words]
    sylls = [syllables(w) for w in words]
    vector["word_length_mean"] = statistics.fmean(lengths)
    vector["word_length_sd"] = statistics.pstdev(lengths)
    vector["long_words"] = sum(1 for x in lengths if x >= 7) / n
    vector["syllables_mean"] = statistics.fmean(sylls)
    vector["polysyllabic"] = sum(1 for x in sylls if x >= 3) / n

    sent_lengths = sorted(
        len([t for t in s.tokens if t.norm[:1].isalpha()]) for s in sentences
    ) or [0]
    mean_sentence = statistics.fmean(sent_lengths)
    vector["sentence_length_mean"] = mean_sentence
    vector["sentence_length_sd"] = statistics.pstdev(sent_lengths)
    vector["sentence_length_p50"] = _percentile(sent_lengths, 0.5)
    vector["sentence_length_p90"] = _percentile(sent_lengths, 0.9)
    vector["long_sentences"] = sum(1 for x in sent_lengths if x >= 25) / len(sent_lengths)
    vector["short_sentences"] = sum(1 for x in sent_lengths if x <= 6) / len(sent_lengths)
    vector["flesch_kincaid"] = 0.39 * mean_sentence + 11.8 * statistics.fmean(sylls) - 15.59

    n_sent = max(1, features.sentences)
    vector["subordinators_per_sentence"] = features.subordination_ratio
    vector["connectors_per_sentence"] = features.connector_ratio
    vector["subordinators_per_word"] = features.subordinators / n
    vector["commas_per_sentence"] = text.count(",") / n_sent
    vector["clause_punctuation"] = (
        text.count(";") + text.count(":") + text.count("—") + text.count("(")
    ) / n_sent

    vector["mtld"] = min(lex.mtld, 200.0)
    vector["mattr_50"] = _mattr(words, 50)
    vector["root_ttr"] = len(types) / math.sqrt(n)

    vector["pronouns"] = sum(1 for w in words if w in _PRONOUNS) / n
    vector["first_second_person"] = sum(1 for w in words if w in _FIRST_SECOND) / n
    vector["determiners"] = sum(1 for w in words if w in _DETERMINERS) / n
    vector["prepositions"] = sum(1 for w in words if w in _PREPOSITIONS) / n
    vector["modals"] = sum(1 for w in words if w in _MODALS) / n
    vector["be_forms"] = sum(1 for w in words if w in _BE) / n
    classes = [_word_class(w) for w in words]
    for name in ("noun", "verb", "adjective", "adverb"):
        vector[f"pos_{name}"] = classes.count(name) / n
    vector["nominalisations"] = sum(1 for w in words if len(w) > 6 and w.endswith(_NOMINAL)) / n
    vector["ly_adverbs"] = sum(1 for w in words if len(w) > 4 and w.endswith("ly")) / n
    vector["ing_forms"] = sum(1 for w in words if len(w) > 5 and w.endswith("ing")) / n
    vector["ed_forms"] = sum(1 for w in words if len(w) > 4 and w.endswith("ed")) / n
    vector["passive_candidates"] = (
        sum(1 for a, b in zip(words, words[1:], strict=False) if a in _BE and b.endswith("ed"))
        / n_sent
    )

    vector.update(_grammar_profile(words, n, n_sent))
    content = [w for w in words if _word_class(w) != "other" and w not in _FUNCTION]
    content_levels = [rank[lv] for lv in (word_level(w, "en") for w in content) if lv in rank]
    vector["content_level_mean"] = statistics.fmean(content_levels) if content_levels else 0.0
    content_zipfs = [z for z in (zipf(w, "en") for w in content) if z > 0]
    vector["content_zipf_mean"] = statistics.fmean(content_zipfs) if content_zipfs else 0.0
    advanced_types = sum(1 for lv in type_levels if lv in ("B2", "C1", "C2"))
    vector["advanced_types_root"] = advanced_types / math.sqrt(n)

    vector["questions"] = text.count("?") / n_sent
    vector["exclamations"] = text.count("!") / n_sent
    vector["quotes"] = (text.count('"') + text.count("“") + text.count("”")) / n_sent
    vector["contractions"] = sum(1 for w in words if "'" in w) / n
    vector["lines_per_sentence"] = (text.count("\n") + 1) / n_sent
    return {k: round(float(v), 6) for k, v in vector.items()}


def _grammar_profile(words: list[str], n: int, n_sent: int) -> dict[str, float]:
    """Counts of verb forms and constructions the English Grammar Profile places by level
    (present simple at A1, past at A2, perfect and passive at B1, modal perfect at B2...),
    found from cefrpy's tags of the words involved; per sentence, or per word for tenses."""
    past = perfect = past_perfect = continuous = passive = modal_perfect = 0
    will = would = relative = 0
    for i, w in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        tags = english_tags(w)
        if tags and tags <= {"VBD", "VBN"} and "VBD" in tags:
            past += 1
        if w in ("have", "has", "'ve") and _participle(nxt):
            perfect += 1
        if w == "had" and _participle(nxt):
            past_perfect += 1
        if w in _BE and nxt.endswith("ing") and "VBG" in english_tags(nxt):
            continuous += 1
        if w in _BE and _participle(nxt) and nxt not in _ADJECTIVE_PARTICIPLES:
            passive += 1
        if w in _MODALS and nxt == "have" and i + 2 < len(words) and _participle(words[i + 2]):
            modal_perfect += 1
        if w in ("will", "'ll"):
            will += 1
        if w == "would" or w == "'d":
            would += 1
        if w in ("which", "whom", "whose", "whereby", "wherein"):
            relative += 1
    return {
        "past_tense": past / n,
        "perfect": perfect / n_sent,
        "past_perfect": past_perfect / n_sent,
        "continuous": continuous / n_sent,
        "passive": passive / n_sent,
        "modal_perfect": modal_perfect / n_sent,
        "future_will": will / n_sent,
        "conditional_would": would / n_sent,
        "relative_pronouns": relative / n_sent,
    }


def _participle(word: str) -> bool:
    return "VBN" in english_tags(word)


# Participles used mostly as adjectives after "be" ("I am tired"): not a passive.
_ADJECTIVE_PARTICIPLES = frozenset(
    "tired interested bored excited worried married surprised pleased scared closed "
    "finished done gone located called named".split()
)
_FUNCTION = (
    _PRONOUNS
    | _DETERMINERS
    | _PREPOSITIONS
    | _MODALS
    | _BE
    | frozenset(
        "and or but so if then than as not do does did have has had there here very".split()
    )
)


def feature_names() -> list[str]:
    """The vector's names in order (measured on a fixed sentence, so never out of date)."""
    return list(_feature_names())


@lru_cache(maxsize=1)
def _feature_names() -> tuple[str, ...]:
    return tuple(feature_vector("The cat sat on the mat because it was tired.").keys())


def _percentile(sorted_values: list[float] | list[int], q: float) -> float:
    if not sorted_values:
        return 0.0
    position = (len(sorted_values) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def _mattr(words: list[str], window: int) -> float:
    """Moving-average type-token ratio (Covington & McFall 2010); the plain TTR when short."""
    if len(words) <= window:
        return len(set(words)) / len(words)
    counts: dict[str, int] = {}
    for w in words[:window]:
        counts[w] = counts.get(w, 0) + 1
    total = len(counts)
    ratios = total
    for i in range(window, len(words)):
        out, new = words[i - window], words[i]
        counts[out] -= 1
        if counts[out] == 0:
            del counts[out]
        counts[new] = counts.get(new, 0) + 1
        ratios += len(counts)
    return ratios / (len(words) - window + 1) / window


@lru_cache(maxsize=65536)
def _word_class(word: str) -> str:
    """The one open class cefrpy lists for a word, or "other" (ambiguous or unknown)."""
    tags = english_tags(word)
    classes = set()
    for tag in tags:
        if tag.startswith("NN"):
            classes.add("noun")
        elif tag.startswith("VB") or tag == "MD":
            classes.add("verb")
        elif tag.startswith("JJ"):
            classes.add("adjective")
        elif tag.startswith("RB"):
            classes.add("adverb")
        else:
            classes.add("other")
    return classes.pop() if len(classes) == 1 else "other"
