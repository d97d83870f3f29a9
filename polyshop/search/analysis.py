"""How text becomes searchable words: one definition for a product's text and a shopper's
query, whichever engine (Tantivy or PostgreSQL) holds the words.

The engines' own tokenizers disagree with each other and with a shopper: Tantivy keeps
`crème` whole while a query split on ASCII letters looks for `cr` and `me`; PostgreSQL's
parser reads `日本製カメラ` as one word, so `カメラ` finds nothing. So the words are made
here, in Python, and each engine is handed them separated by spaces, leaving it only its
English stemming:

- Unicode words: letters, digits and the marks that belong to them (Devanagari vowel
  signs, Thai tone marks), after compatibility normalisation (a full-width A is `a`, the
  ligature fi is `fi`); `_`, punctuation and symbols separate them;
- letter case folded (`Straße` is `strasse`) and accents dropped (`crème` is `creme`, and
  `creme` finds it; `Łódź` is `lodz`; Arabic and Hebrew vowel points go, as most text is
  written without them); Japanese voicing marks (`が` is not `か`) stay;
- scripts written without spaces between words (Chinese, Japanese, Korean, Thai, Lao,
  Khmer, Myanmar) in overlapping pairs of characters (`日本製` is `日本 本製`), as Lucene's
  CJK analyzer does: a query's pairs all found is a good sign of the word, with no
  dictionary to keep. The product's text also keeps each character alone, so a
  one-character query finds it;
- words cut to fewer than 40 bytes of UTF-8, the longest Tantivy indexes (it drops longer
  ones), on both sides alike.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

import regex

_WORD = regex.compile(r"[\p{L}\p{N}\p{M}]+")
_ASCII_WORD = regex.compile(r"[a-z0-9]+")
#: Accents: the combining diacritical marks of Latin, Greek and Cyrillic letters, Arabic
#: harakat and Hebrew points.
_ACCENTS = regex.compile(
    "[\u0300-\u036f\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7\u064b-\u065f\u0670]+"
)
#: Letters that carry their stroke in the letter itself, so no decomposition drops it.
_PLAIN = str.maketrans(
    {
        "ł": "l",
        "ø": "o",
        "đ": "d",
        "ħ": "h",
        "\u0131": "i",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
        "ð": "d",
    }
)
#: Scripts written without spaces between words; ー (lengthening) and 〆 are Japanese too.
_UNSPACED = regex.compile(
    r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}ー〆]+"
)
#: Tantivy drops a token of this many bytes or more.
_LONGEST = 40


def fold(text: str) -> str:
    """The text in one letter case, without accents, in its compatibility form."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_PLAIN)
    return unicodedata.normalize("NFC", _ACCENTS.sub("", unicodedata.normalize("NFKD", folded)))


def words(text: str, *, single_characters: bool = False) -> list[str]:
    """The searchable words of `text`, in order; `single_characters`: characters of the
    unspaced scripts also alone (for the indexed text, so a one-character query matches)."""
    if text.isascii():  # most of a catalog: nothing to fold but case, nothing to pair
        return [w[: _LONGEST - 1] for w in _ASCII_WORD.findall(text.lower())]
    found: list[str] = []
    for word in _WORD.findall(fold(text)):
        found.extend(_short(w) for w in _split(word, single_characters))
    return found


def indexed(text: str) -> str:
    """A product's text as an engine indexes it: its words, separated by spaces."""
    return " ".join(words(text, single_characters=True))


def _split(word: str, single_characters: bool) -> Iterator[str]:
    """A word with its unspaced runs in pairs of characters; other letters whole."""
    start = 0
    for run in _UNSPACED.finditer(word):
        if run.start() > start:
            yield word[start : run.start()]
        characters = run.group()
        if len(characters) == 1:
            yield characters
        else:
            yield from (characters[i : i + 2] for i in range(len(characters) - 1))
            if single_characters:
                yield from characters
        start = run.end()
    if start < len(word):
        yield word[start:]


def _short(word: str) -> str:
    """The word, or as much of it as fits in fewer than _LONGEST bytes (whole characters)."""
    encoded = word.encode()
    if len(encoded) < _LONGEST:
        return word
    return encoded[: _LONGEST - 1].decode(errors="ignore")
