"""Dictionary forms for inflected Japanese words.

Word lists cut Japanese text the way a morphological analyser does, so many frequent
"words" are inflection stems: 思っ (思った), 言わ (言わない), 食べ (食べる/食べた), 書い (書いた),
良かっ (良かった), 悪く (悪くない). `candidates` lists the dictionary forms a stem can come
from, most likely first; the caller keeps the first one JMdict has as a verb or adjective.
"""

from __future__ import annotations

# Godan verb endings by the vowel row the stem ends in: the row's kana -> the u-row kana.
_A_ROW = dict(zip("わかがさたなばまら", "うくぐすつぬぶむる", strict=True))
_I_ROW = dict(zip("いきぎしちにびみり", "うくぐすつぬぶむる", strict=True))
_E_ROW = dict(zip("えけげせてねべめれ", "うくぐすつぬぶむる", strict=True))
_O_ROW = dict(zip("おこごそとのぼもろ", "うくぐすつぬぶむる", strict=True))
_IRREGULAR = {
    "し": ["する"],
    "さ": ["する"],
    "せ": ["する"],
    "き": ["くる", "来る"],
    "こ": ["くる", "来る"],
    "来": ["来る"],
    "いっ": ["いく", "行く"],
    "行っ": ["行く", "行う"],
    "だっ": ["だ"],
    "でし": ["です"],
    "まし": ["ます"],
    "なかっ": ["ない"],
    "たかっ": ["たい"],
    "ちゃっ": ["ちゃう"],
    "ちまっ": ["ちまう"],
}


def candidates(word: str) -> list[str]:
    """Dictionary forms `word` may be an inflection stem of (without `word` itself)."""
    if word in _IRREGULAR:
        return list(_IRREGULAR[word])
    out: list[str] = []
    stem, last = word[:-1], word[-1:]
    if not stem and last not in "っん":
        return out
    if word.endswith("かっ"):  # adjective past: 良かっ(た) -> 良い
        out.append(word[:-2] + "い")
    if last == "っ":  # te/ta form of u, tsu, ru verbs
        out += [stem + "う", stem + "つ", stem + "る"]
    elif last == "ん":  # te/ta form of mu, bu, nu verbs
        out += [stem + "む", stem + "ぶ", stem + "ぬ"]
    elif last == "く":  # adjective adverbial form: 悪く -> 悪い
        out.append(stem + "い")
    elif last == "い":  # te/ta form of ku/gu verbs, or a masu stem of u verbs
        out += [stem + "く", stem + "ぐ", stem + "う", word + "る"]
    elif last in _A_ROW:  # negative stem: 言わ(ない) -> 言う
        out.append(stem + _A_ROW[last])
    elif last in _E_ROW:  # ichidan stem, or potential/imperative/conditional of godan
        out += [word + "る", stem + _E_ROW[last]]
    elif last in _I_ROW:  # masu stem: 探し -> 探す; ichidan: 起き -> 起きる
        out += [stem + _I_ROW[last], word + "る"]
        if last == "し":
            out.append(stem + "する")
    elif last in _O_ROW:  # volitional stem: 行こ(う) -> 行く
        out.append(stem + _O_ROW[last])
    elif last == "よ":  # ichidan volitional: 見よ(う) -> 見る
        out.append(stem + "る")
    elif last == "じ":  # ichidan stem: 信じ -> 信じる
        out.append(word + "る")
    if last == "き" and len(word) >= 2:  # compound with 来る: やってき -> やってくる
        out.append(stem + "くる")
    if word.endswith("る") and len(word) >= 3 and word[-2] in _E_ROW:  # potential: 読める
        out.append(word[:-2] + _E_ROW[word[-2]])
    if word.endswith("ろ"):  # ichidan imperative: やめろ -> やめる
        out.append(stem + "る")
    if last in "しく" and len(word) >= 2:  # adjective stem: 楽し -> 楽しい
        out.append(word + "い")
    return list(dict.fromkeys(c for c in out if c != word))
