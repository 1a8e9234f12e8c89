"""Measured features of a text: lexical profile, diversity, sentence length, subordination."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field

from pipelines.cefr.lexicon import LEVELS, UNKNOWN, word_level, zipf
from pipelines.cefr.tokenize import Sentence, Token, check_language, split_sentences

MTLD_THRESHOLD = 0.72  # McCarthy & Jarvis (2010)


# Words that open a subordinate clause. Ambiguous forms that are more often something else in
# learner text (English "that", "so", "as"; German articles used as relative pronouns) are left
# out on purpose: a missed clause costs less than a beginner credited with subordination.
def _words(spec: str) -> frozenset[str]:
    """Marker list from "a|b c|d": entries separated by "|", may be several words."""
    return frozenset(w.strip() for w in spec.split("|") if w.strip())


SUBORDINATORS: dict[str, frozenset[str]] = {
    "en": _words(
        "because|although|though|while|whereas|unless|if|when|whenever|where|wherever|"
        "whether|until|since|once|which|who|whom|whose|whoever|whatever|so that|even though"
    ),
    "es": _words(
        "porque|aunque|cuando|mientras|si|que|donde|cuyo|cuya|cuyos|cuyas|quien|quienes|"
        "puesto que|ya que|para que|a pesar de que"
    ),
    "fr": _words(
        "que|qu'|qui|quand|lorsque|lorsqu'|puisque|puisqu'|quoique|si|dont|où|tandis|afin"
    ),
    "de": _words(
        "weil|dass|obwohl|wenn|als|ob|damit|während|nachdem|bevor|seit|seitdem|bis|sodass|"
        "falls|indem|wo"
    ),
    "it": _words(
        "perché|perchè|che|quando|mentre|se|dove|cui|benché|sebbene|affinché|poiché|finché"
    ),
    "pt": _words("porque|embora|quando|enquanto|que|onde|cujo|cuja|quem|pois|caso"),
    "nl": _words("omdat|hoewel|wanneer|als|terwijl|dat|die|wat|waar|of|tenzij|zodat"),
    "ru": _words("что|чтобы|когда|если|хотя|пока|где|который|которая|которое|которые"),
    # Japanese markers are matched as substrings: they attach to the verb before them.
    "ja": _words("ので|から|けれど|けど|ながら|ために|たら|のに|とき|時に"),
}

# Discourse connectors signal how sentences are linked; the writing engine scores coherence
# with them.
CONNECTORS: dict[str, frozenset[str]] = {
    "en": _words(
        "however|therefore|moreover|furthermore|nevertheless|consequently|also|then|first|"
        "firstly|secondly|finally|besides|meanwhile|instead|otherwise|thus|hence|overall|"
        "additionally|nonetheless|similarly|likewise|accordingly|in addition|for example|"
        "for instance|on the other hand|in conclusion|as a result|but|so"
    ),
    "es": _words(
        "además|sin embargo|por lo tanto|entonces|primero|finalmente|luego|también|así|"
        "pero|por ejemplo|en cambio|por eso|en conclusión"
    ),
    "fr": _words(
        "cependant|donc|ensuite|enfin|puis|aussi|pourtant|néanmoins|toutefois|ainsi|"
        "d' abord|finalement|mais|par exemple|en effet|de plus"
    ),
    "de": _words(
        "jedoch|deshalb|außerdem|dann|zuerst|schließlich|trotzdem|also|auch|daher|"
        "allerdings|aber|zum beispiel"
    ),
    "it": _words("però|quindi|inoltre|poi|infine|anche|dunque|tuttavia|allora|ma|per esempio"),
    "pt": _words("porém|portanto|além disso|então|depois|finalmente|também|contudo|assim|mas"),
    "ja": _words("しかし|そして|それから|だから|でも|また|つまり|ところで"),
}


@dataclass(frozen=True)
class LexicalProfile:
    """Counts are of word tokens (running words) and types (distinct lower-cased words)."""

    tokens: int
    types: int
    level_counts: dict[str, int]
    level_shares: dict[str, float]  # share of tokens per "A1".."C2" and "unknown"; sums to 1
    mtld: float
    type_token_ratio: float
    mean_zipf: float  # over tokens that wordfreq knows
    mean_word_length: float
    advanced_share: float  # share of known-level tokens at B2 or above
    mean_type_level: float  # mean level (A1=1 .. C2=6) of distinct words with a known level
    advanced_words: list[str] = field(default_factory=list)  # up to 10 distinct, hardest first


@dataclass(frozen=True)
class TextFeatures:
    language: str
    characters: int
    lexical: LexicalProfile
    sentences: int
    sentence_lengths: list[int]
    mean_sentence_length: float
    subordinators: int
    subordination_ratio: float  # subordinators per sentence
    connectors: int
    connector_ratio: float  # discourse connectors per sentence
    names: list[str] = field(default_factory=list)  # left out of the lexical profile


def analyse_text(text: str, language: str) -> TextFeatures:
    """Measure a text. Deterministic; raises PipelineError("unsupported_language")."""
    language = check_language(language)
    sentences = split_sentences(text, language)
    names = [t for s in sentences for t in s.tokens[1:] if _looks_like_name(t, language)]
    name_spans = {t.start for t in names}
    tokens = [t for s in sentences for t in s.tokens if t.start not in name_spans]
    lengths = [len(s.tokens) for s in sentences]
    n_sent = len(sentences)
    subs = _count_markers(text, sentences, SUBORDINATORS.get(language, frozenset()), language)
    conns = _count_markers(text, sentences, CONNECTORS.get(language, frozenset()), language)
    if language == "en":
        conns += _clause_coordinators(sentences)
    return TextFeatures(
        language=language,
        characters=len(text),
        lexical=lexical_profile(tokens, language),
        names=sorted({t.text for t in names}),
        sentences=n_sent,
        sentence_lengths=lengths,
        mean_sentence_length=round(statistics.fmean(lengths), 2) if lengths else 0.0,
        subordinators=subs,
        subordination_ratio=round(subs / n_sent, 3) if n_sent else 0.0,
        connectors=conns,
        connector_ratio=round(conns / n_sent, 3) if n_sent else 0.0,
    )


# German capitalises every noun; in caseless scripts nothing can be told from case.
_NO_NAME_DETECTION = frozenset({"de", "lb", "ja", "zh", "ko", "ar", "fa", "he", "hi"})


def _looks_like_name(token: Token, language: str) -> bool:
    """A capitalised word inside a sentence is taken as a name: its frequency says nothing
    about the writer's vocabulary ("London" is not a C1 word)."""
    if language in _NO_NAME_DETECTION:
        return False
    text = token.text
    return text[:1].isupper() and not text.isupper() and text.lower() not in ("i", "i'm")


def lexical_profile(tokens: list[Token], language: str) -> LexicalProfile:
    """Level shares, diversity and frequency of a list of word tokens."""
    words = [t.norm for t in tokens]
    n = len(words)
    levels = [word_level(w, language) for w in words]
    counts = Counter(levels)
    level_counts = {lv: counts.get(lv, 0) for lv in (*LEVELS, UNKNOWN)}
    shares = {lv: round(c / n, 4) if n else 0.0 for lv, c in level_counts.items()}
    known = n - level_counts[UNKNOWN]
    advanced = sum(level_counts[lv] for lv in ("B2", "C1", "C2"))
    zipfs = [z for z in (zipf(w, language) for w in words) if z > 0]
    rank = {lv: i for i, lv in enumerate(LEVELS)}
    type_levels = [
        rank[lv] + 1 for lv in (word_level(w, language) for w in set(words)) if lv in rank
    ]
    hard = sorted(
        {w for w, lv in zip(words, levels, strict=True) if lv in ("B2", "C1", "C2")},
        key=lambda w: (-rank[word_level(w, language)], w),
    )
    return LexicalProfile(
        tokens=n,
        types=len(set(words)),
        level_counts=level_counts,
        level_shares=shares,
        mtld=round(mtld(words), 2),
        type_token_ratio=round(len(set(words)) / n, 4) if n else 0.0,
        mean_zipf=round(statistics.fmean(zipfs), 3) if zipfs else 0.0,
        mean_word_length=round(statistics.fmean(len(w) for w in words), 2) if words else 0.0,
        advanced_share=round(advanced / known, 4) if known else 0.0,
        mean_type_level=round(statistics.fmean(type_levels), 3) if type_levels else 0.0,
        advanced_words=hard[:10],
    )


def mtld(words: list[str], threshold: float = MTLD_THRESHOLD) -> float:
    """Measure of Textual Lexical Diversity: mean of the forward and backward passes.

    A pass counts "factors": stretches over which the type-token ratio stays above the
    threshold. The remainder adds a partial factor. A text too short to drop below the
    threshold has no full factor; we then return its length, the value MTLD converges to
    for a text of all-distinct words, rather than dividing by zero.
    """
    if not words:
        return 0.0
    return (_mtld_pass(words, threshold) + _mtld_pass(words[::-1], threshold)) / 2


def _mtld_pass(words: list[str], threshold: float) -> float:
    factors = 0.0
    types: set[str] = set()
    count = 0
    for w in words:
        count += 1
        types.add(w)
        if len(types) / count <= threshold:
            factors += 1
            types, count = set(), 0
    if count:
        ttr = len(types) / count
        factors += (1 - ttr) / (1 - threshold)
    return len(words) / factors if factors > 0 else float(len(words))


# "and" / "or" link clauses when a new subject follows them ("... and then we ate", "... and
# she laughed"); between two nouns ("fish and chips") they link nothing and are not counted.
_COORDINATORS = frozenset({"and", "or"})
_CLAUSE_OPENERS = frozenset(
    "i you he she it we they there this that these those my his her our their".split()
)


def _clause_coordinators(sentences: list[Sentence]) -> int:
    """English "and"/"or" that open a sentence or a clause with its own subject."""
    total = 0
    for s in sentences:
        norms = [t.norm for t in s.tokens]
        for i, word in enumerate(norms):
            if word not in _COORDINATORS:
                continue
            if i == 0 or (i + 1 < len(norms) and norms[i + 1] in _CLAUSE_OPENERS):
                total += 1
    return total


def _count_markers(
    text: str, sentences: list[Sentence], markers: frozenset[str], language: str
) -> int:
    if not markers:
        return 0
    if language == "ja":
        return sum(text.count(m) for m in markers)
    singles = {m for m in markers if " " not in m}
    phrases = [m for m in markers if " " in m]
    total = 0
    for s in sentences:
        norms = [t.norm for t in s.tokens]
        total += sum(1 for w in norms if w in singles)
        joined = " " + " ".join(norms) + " "
        total += sum(joined.count(f" {p} ") for p in phrases)
    return total
