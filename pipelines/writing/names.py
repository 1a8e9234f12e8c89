"""English proper nouns written in lower case: days, months, languages, countries, cities.

English capitalises the names of days, months, languages and nationalities, countries and
cities. The lists below hold the ones learners write most; a name that is also a common
word is left out ("china" the porcelain, "turkey" the bird, "polish" the verb, "nice",
"reading") or checked only where it must be the month: "may" and "march" after "in",
"of", "since", "until", "last", "next", "during" or before a day number ("in march",
"may 5"). A word glued to code-like characters ("lang=english", "'french'") is left alone.
"""

from __future__ import annotations

from pipelines.writing.spans import CheckContext, TextError

_DAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
_MONTHS = ("january february april june july august september october november december").split()
_LANGUAGES = (
    "english french spanish german italian japanese chinese russian portuguese arabic "
    "korean dutch greek turkish swedish norwegian danish finnish hindi urdu bengali "
    "vietnamese thai indonesian hebrew persian ukrainian hungarian czech romanian "
    "british american canadian australian irish scottish welsh mexican brazilian indian "
    "african european asian egyptian moroccan nigerian argentinian colombian peruvian "
    "swiss austrian belgian pakistani iranian iraqi israeli"
).split()
_COUNTRIES = (
    "spain italy france germany england scotland ireland wales canada australia mexico "
    "brazil india russia portugal egypt greece sweden norway denmark finland poland "
    "switzerland austria belgium netherlands argentina chile peru colombia morocco nigeria "
    "kenya thailand vietnam korea indonesia pakistan iran iraq israel america europe asia "
    "africa ukraine hungary romania"
).split()
_CITIES = (
    "london paris rome madrid berlin tokyo moscow beijing barcelona amsterdam dublin "
    "edinburgh manchester liverpool glasgow oxford vienna prague lisbon athens istanbul "
    "cairo dubai seoul bangkok toronto chicago boston sydney melbourne munich milan venice "
    "florence seville valencia kyoto osaka shanghai brussels budapest warsaw stockholm "
    "copenhagen"
).split()
NAMES: dict[str, str] = {
    w: w.capitalize() for w in (*_DAYS, *_MONTHS, *_LANGUAGES, *_COUNTRIES, *_CITIES)
}
_KIND = {
    **dict.fromkeys(_DAYS, "day"),
    **dict.fromkeys(_MONTHS, "month"),
    **dict.fromkeys(_LANGUAGES, "language or nationality"),
    **dict.fromkeys(_COUNTRIES, "place"),
    **dict.fromkeys(_CITIES, "place"),
}
_AMBIGUOUS_MONTHS = {"may": "May", "march": "March"}
_BEFORE_MONTH = frozenset("in of since until till last next during".split())
_CODE_MARKS = frozenset("=:'\"`/\\_.-<>{}[]()|$@#*+")


def check_names(ctx: CheckContext) -> list[TextError]:
    errors = []
    for sentence in ctx.sentences:
        tokens = sentence.tokens
        for i, token in enumerate(tokens):
            if not token.text.islower() or _in_code(ctx.text, token.start, token.end):
                continue
            word, possessive = token.norm.replace("’", "'"), ""
            if word.endswith("'s"):
                word, possessive = word[:-2], token.text[-2:]  # "london's" -> "London's"
            wanted = NAMES.get(word)
            kind = _KIND.get(word, "month")
            if wanted is None and word in _AMBIGUOUS_MONTHS:
                before = tokens[i - 1].norm if i else ""
                after = tokens[i + 1].text if i + 1 < len(tokens) else ""
                if before in _BEFORE_MONTH or after[:1].isdigit():
                    wanted = _AMBIGUOUS_MONTHS[word]
            if wanted is None:
                continue
            name, wanted = wanted, wanted + possessive
            errors.append(
                TextError(
                    token.start,
                    token.end - token.start,
                    f"'{name}' is the name of a {kind}: it starts with a capital letter.",
                    "capitalisation",
                    [wanted],
                    "names",
                )
            )
    return errors


def _in_code(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return before in _CODE_MARKS or (after in _CODE_MARKS and after not in ".-)'\":")
