"""Word lists: blocked and watched terms matched on normalised text, whole words only.

Matching survives what `models.normalize` folds (alef/hamza forms, ى/ي, ة/ه, diacritics, tatweel,
invisible characters, spaced letters, repeated letters, leetspeak) and the clitics Arabic writes
attached to a word: the proclitics و ف, ب ل ك, يا, ال (and لل) in front, and pronoun or plural
suffixes (ه ها هم كم ني نا ي ك ات ين ون ...) behind. A term only ever matches a whole word (or a
run of whole words) once such affixes are removed, never the inside of a longer word; and affixes
are only removed when at least three letters are left, so "سم" never matches "بسم".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from mizan.models.normalize import normalize, normalize_with_offsets, original_span

_WORD = re.compile(r"[^\W_]+")
_PRE_CONJ = ("", "و", "ف")
_PRE_PREP = ("", "ب", "ل", "ك", "يا")
_PRE_ART = ("", "ال")
_COMBINED = {a + b + c for a in _PRE_CONJ for b in _PRE_PREP for c in _PRE_ART}
PREFIXES = tuple(
    sorted(
        _COMBINED | {"لل", "ولل", "فلل", "عال"},
        key=len,
        reverse=True,
    )
)
SUFFIXES = tuple(
    sorted(
        {
            "",
            "ه",
            "ها",
            "هم",
            "هن",
            "هما",
            "كم",
            "كن",
            "كما",
            "نا",
            "ني",
            "ي",
            "ك",
            "ات",
            "ين",
            "ون",
            "ان",
            "وا",
            "يه",
            "يها",
            "يهم",
            "اتهم",
            "اته",
            "تي",
            "ته",
            "تهم",
            "s",
            "es",
        },
        key=len,
        reverse=True,
    )
)
MIN_STEM = 3


def candidates(word: str) -> set[str]:
    """The word and every stem left after removing known affixes (at least MIN_STEM letters)."""
    out = {word}
    for p in PREFIXES:
        if not word.startswith(p):
            continue
        rest = word[len(p) :]
        for s in SUFFIXES:
            if s and not rest.endswith(s):
                continue
            stem = rest[: len(rest) - len(s)] if s else rest
            if (p or s) and len(stem) >= MIN_STEM:
                out.add(stem)
    return out


@dataclass(frozen=True, slots=True)
class Entry:
    term: str
    list: str
    action: str
    words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Match:
    term: str
    list: str
    action: str
    span: tuple[int, int]


class WordList:
    """Terms compiled for matching: each term is normalised the same way as the comments."""

    def __init__(self, terms: Iterable[tuple[str, str, str]]) -> None:
        self._by_first: dict[str, list[Entry]] = {}
        for term, list_, action in terms:
            words = tuple(_WORD.findall(normalize(term)))
            if not words:
                continue
            self._by_first.setdefault(words[0], []).append(Entry(term, list_, action, words))

    def __bool__(self) -> bool:
        return bool(self._by_first)

    def match(self, text: str) -> list[Match]:
        """Every term found in `text`, with its span in the original text."""
        if not self._by_first:
            return []
        norm = normalize(text)
        tokens = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(norm)]
        cands = [candidates(t[0]) for t in tokens]
        hits: list[tuple[Entry, int, int]] = []
        for i, cset in enumerate(cands):
            for c in cset:
                for entry in self._by_first.get(c, ()):
                    n = len(entry.words)
                    if i + n > len(tokens):
                        continue
                    if all(entry.words[j] in cands[i + j] for j in range(1, n)):
                        hits.append((entry, tokens[i][1], tokens[i + n - 1][2]))
        if not hits:
            return []
        norm2, offsets = normalize_with_offsets(text)
        out: list[Match] = []
        seen: set[tuple[str, int]] = set()
        for entry, s, e in sorted(hits, key=lambda h: h[1]):
            if (entry.term, s) in seen:
                continue
            seen.add((entry.term, s))
            span = original_span(offsets, s, e, len(text)) if norm2 == norm else (0, len(text))
            out.append(Match(entry.term, entry.list, entry.action, (int(span[0]), int(span[1]))))
        return out
