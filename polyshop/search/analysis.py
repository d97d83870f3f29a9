"""How text becomes searchable words: one definition for a product's text and a shopper's
query, whichever engine (Tantivy or PostgreSQL) holds the words.

The engines' own tokenizers disagree with each other and with a shopper: Tantivy keeps
`crème` whole while a query split on ASCII letters looks for `cr` and `me`; PostgreSQL's
parser reads `日本製カメラ` as one word, so `カメラ` finds nothing. So the words are made
here, in Python, and each engine is handed them separated by spaces, leaving it only its
English stemming:

- Unicode words (letters and digits of any script; `_` and punctuation separate them),
  after compatibility normalisation (a full-width A is `a`, the ligature fi is `fi`);
- letter case folded (`Straße` is `strasse`) and accents dropped (`crème` is `creme`, and
  `creme` finds it); only the combining diacritical marks of Latin, Greek and Cyrillic
  letters go, so Japanese voicing marks (`が` is not `か`) stay;
- Chinese, Japanese and Korean, written without spaces between words, in overlapping
  pairs of characters (`日本製` is `日本 本製`), as Lucene's CJK analyzer does: a query's
  pairs all found in order is a good sign of the word, with no dictionary to keep. The
  product's text also keeps each character alone, so a one-character query finds it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

_WORD = re.compile(r"[^\W_]+")
_ASCII_WORD = re.compile(r"[a-z0-9]+")
# Combining Diacritical Marks: the accents of Latin, Greek and Cyrillic letters.
_DIACRITICS = re.compile("[\u0300-\u036f]+")
# Han (with extension A and compatibility ideographs), Hiragana, Katakana, Hangul syllables.
_CJK = re.compile(
    "[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+"
)


def fold(text: str) -> str:
    """The text in one letter case, without accents, in its compatibility form."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    return unicodedata.normalize("NFC", _DIACRITICS.sub("", decomposed))


def words(text: str, *, single_characters: bool = False) -> list[str]:
    """The searchable words of `text`, in order; `single_characters`: CJK characters also
    alone (for the indexed text, so a one-character query matches)."""
    if text.isascii():  # most of a catalog: nothing to fold but case, no CJK to pair
        return _ASCII_WORD.findall(text.lower())
    found: list[str] = []
    for word in _WORD.findall(fold(text)):
        found.extend(_split(word, single_characters))
    return found


def indexed(text: str) -> str:
    """A product's text as an engine indexes it: its words, separated by spaces."""
    return " ".join(words(text, single_characters=True))


def _split(word: str, single_characters: bool) -> Iterator[str]:
    """A word with its CJK runs in pairs of characters; other letters and digits whole."""
    start = 0
    for run in _CJK.finditer(word):
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
