"""CEFR features and level estimate for a text, shared by the writing and speaking scorers.

    estimate = text_level("I like my dog. He is big.", "en")
    # .level "A1".."C2", .score 0-100, .confidence 0-1, .method "cefr-text-model-v3"

Everything here is offline and deterministic. The word-level sources and the Zipf band table
are documented in `lexicon`; the fitted English model in `model` (measurements in `vector`,
recipe in `train`); the heuristic used for other languages in `estimate`.
"""

from pipelines.cefr.estimate import (
    CefrEstimate,
    estimate_level,
    level_for_score,
    score_for_level,
)
from pipelines.cefr.features import (
    CONNECTORS,
    SUBORDINATORS,
    LexicalProfile,
    TextFeatures,
    analyse_text,
    lexical_profile,
    mtld,
)
from pipelines.cefr.level import text_level
from pipelines.cefr.lexicon import LEVELS, UNKNOWN, frequency_band, word_level, zipf, zipf_to_level
from pipelines.cefr.tokenize import (
    Sentence,
    Token,
    check_language,
    is_supported,
    split_sentences,
    tokenize,
)

__all__ = [
    "CONNECTORS",
    "LEVELS",
    "SUBORDINATORS",
    "UNKNOWN",
    "CefrEstimate",
    "LexicalProfile",
    "Sentence",
    "TextFeatures",
    "Token",
    "analyse_text",
    "check_language",
    "estimate_level",
    "frequency_band",
    "is_supported",
    "level_for_score",
    "lexical_profile",
    "mtld",
    "score_for_level",
    "split_sentences",
    "text_level",
    "tokenize",
    "word_level",
    "zipf",
    "zipf_to_level",
]
