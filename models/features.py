"""Hashed character n-gram, word and meta features computed in one vectorised pass per batch.

Every text is normalised once (``models.normalize.normalize``).  The normalised texts of a batch
are joined into one code-point array; a polynomial prefix hash over that array gives the hash of
any substring in O(1), so all character n-grams, words and word bigrams of the whole batch are
hashed with a handful of numpy operations instead of a Python loop per n-gram.  The same routine
also returns the span of every feature, which is how explanations are mapped back to the text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Self

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from . import normalize as _norm

if TYPE_CHECKING:
    from sklearn.utils import Tags

_U64 = npt.NDArray[np.uint64]
_I64 = npt.NDArray[np.int64]
_F64 = npt.NDArray[np.float64]
_Bool = npt.NDArray[np.bool_]

_MASK64 = (1 << 64) - 1
_BASE = 0x100000001B3  # odd, so it is invertible modulo 2**64
_BASE_INV = pow(_BASE, -1, 1 << 64)
_SEP = 0  # code point (after +1 shift below, never produced by text) separating documents
_SPACE = 32 + 1
_MAX_CHARS = 2000  # longer comments are cut: their tail adds little and costs linear time
_CHUNK = 4096  # texts hashed per vectorised pass (bounds memory)

# Salts keep the kinds of features apart (the word "abc" is not the 3-gram "abc").
_SALT_WORD = 101
_SALT_BIGRAM = 102

META_NAMES = (
    "meta:has_url",
    "meta:n_urls",
    "meta:has_phone",
    "meta:n_phones",
    "meta:has_email",
    "meta:has_handle",
    "meta:n_handles",
    "meta:length",
    "meta:n_words",
    "meta:arabic_share",
    "meta:latin_share",
    "meta:digit_share",
    "meta:script_mix",
    "meta:repeated_words",
    "meta:short_text",
    "meta:lexicon_hit",
    "meta:lexicon_hits",
    "meta:identity_insult",
)
_HIT, _HITS, _IDENTITY_INSULT = (
    META_NAMES.index(n) for n in ("meta:lexicon_hit", "meta:lexicon_hits", "meta:identity_insult")
)
# Arabic clitics stripped before a lexicon lookup (و ال وال بال لل يا ...), longest first.
_CLITICS = ("وال", "بال", "فال", "كال", "لل", "ال", "يا", "و", "ب", "ف", "ل")
_ENTITY_WORDS = ("xurlx", "xphonex", "xemailx", "xhandlex")


def _mix(h: _U64) -> _U64:
    """Finalise 64-bit hashes (splitmix64) so that the low bits are well spread."""
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    out: _U64 = h ^ (h >> np.uint64(31))
    return out


def _string_hash(s: str) -> int:
    """Return the raw (unsalted, unmixed) polynomial hash the vectorised code gives ``s``."""
    h = 0
    for j, ch in enumerate(s):
        h = (h + (ord(ch) + 1) * pow(_BASE, j, 1 << 64)) & _MASK64
    return h


_ENTITY_HASHES = np.array([_string_hash(w) for w in _ENTITY_WORDS], dtype=np.uint64)
_ENTITY_LIST = _ENTITY_HASHES.tolist()
_CLITIC_HASHES = {
    k: np.array([_string_hash(c) for c in _CLITICS if len(c) == k], dtype=np.uint64)
    for k in {len(c) for c in _CLITICS}
}


_CLITIC_KS = np.array(sorted(_CLITIC_HASHES), dtype=np.int64)
# raw hashes of clitics of different lengths never coincide (one letter: its code point + 1;
# more: a multiple of the large base added), so one sorted array serves every length
_ALL_CLITIC_HASHES = np.unique(np.concatenate(list(_CLITIC_HASHES.values())))


def _in_sorted(q: _U64, sorted_keys: _U64) -> _Bool:
    """Vectorised membership test against a sorted array (cheaper than np.isin per call)."""
    pos = np.minimum(np.searchsorted(sorted_keys, q), sorted_keys.shape[0] - 1)
    found: _Bool = sorted_keys[pos] == q
    return found


def lexicon_hashes(terms: Iterable[str], normalize: Callable[[str], str]) -> _U64:
    """Return the sorted raw hashes of normalised one- and two-word terms."""
    out: set[int] = set()
    for term in terms:
        words = normalize(term).split()
        if len(words) == 1:
            out.add(_string_hash(words[0]))
        elif len(words) == 2:
            a, b = (_string_hash(w) for w in words)
            out.add((a * _BASE_INV + b) & _MASK64)
    return np.array(sorted(out), dtype=np.uint64)


@dataclass(frozen=True, slots=True)
class HashedBatch:
    """Hashed features of a batch: one entry per feature occurrence."""

    doc: _I64  # document index
    col: _I64  # column in [0, 2**n_bits)
    start: _I64  # start in the document's normalised text
    end: _I64  # end (exclusive)
    kind: npt.NDArray[np.int8]  # n for char n-grams, -1 word, -2 word bigram
    meta: _F64  # (n_docs, len(META_NAMES))
    # (start, end) in the normalised text of every word (or word pair) that hit the insult
    # lexicon, and its doc
    insult_doc: _I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    insult_start: _I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    insult_end: _I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def _powers(base: int, n: int) -> _U64:
    p = np.full(n, base, dtype=np.uint64)
    p[0] = 1
    return np.cumprod(p, dtype=np.uint64)


_POWERS_KEPT = 4 * _MAX_CHARS + 16  # covers any single comment (cut at _MAX_CHARS) padded
_PW_KEPT = _powers(_BASE, _POWERS_KEPT + 1)
_INV_KEPT = _powers(_BASE_INV, _POWERS_KEPT + 1)
_PW_KEPT.flags.writeable = False
_INV_KEPT.flags.writeable = False


def hash_batch(
    normalized: Sequence[str],
    n_bits: int = 20,
    char_ngrams: tuple[int, int] = (2, 5),
    word_ngrams: int = 2,
    lexicon: _U64 | None = None,
    identities: _U64 | None = None,
    spans: bool = True,
) -> HashedBatch:
    """Hash char n-grams (over ' ' + text + ' '), words and word bigrams of normalised texts.

    ``lexicon`` is a sorted array of raw hashes of insult terms (words, with or without an
    Arabic clitic, and two-word phrases); hits are counted into the meta features.
    ``identities`` (same form) holds group nouns: they count only in a comment that also
    has an insult, so that naming a religion or a nationality is not evidence of abuse.
    ``spans=False`` leaves out where each feature and insult sits (empty ``start``, ``end``,
    ``kind`` and insult spans): scoring needs only documents, columns and meta features, and
    the spans are about half the bytes built here.
    """
    n_docs = len(normalized)
    padded = [" " + t[:_MAX_CHARS] + " " for t in normalized]
    joined = "\x00".join(padded)
    c = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    c += np.uint64(1)
    length = c.shape[0]
    is_sep = c == np.uint64(_SEP + 1)
    # whitespace of any kind counts as a space
    ws = (c == np.uint64(_SPACE)) | (c == np.uint64(10 + 1)) | (c == np.uint64(9 + 1))
    ws |= (c == np.uint64(13 + 1)) | (c == np.uint64(0xA0 + 1))
    c[ws] = np.uint64(_SPACE)
    sep_cum = np.concatenate(([0], np.cumsum(is_sep)))
    doc_of = sep_cum[:-1]  # document index of every position (separators get the next doc)
    lens = np.fromiter((len(p) for p in padded), dtype=np.int64, count=n_docs)
    doc_start = np.concatenate(([0], np.cumsum(lens + 1)[:-1])) if n_docs else lens

    if length < _POWERS_KEPT:  # a comment or a small batch: the kept tables (read only)
        pw, inv = _PW_KEPT, _INV_KEPT
    else:
        pw, inv = _powers(_BASE, length + 1), _powers(_BASE_INV, length + 1)
    prefix = np.concatenate(
        (np.zeros(1, dtype=np.uint64), np.cumsum(c * pw[:length], dtype=np.uint64))
    )

    def sub_hash(a: _I64, b: _I64) -> _U64:
        h: _U64 = (prefix[b] - prefix[a]) * inv[a]
        return h

    docs: list[_I64] = []
    cols: list[_I64] = []
    starts: list[_I64] = []
    ends: list[_I64] = []
    kinds: list[npt.NDArray[np.int8]] = []
    mask = np.uint64((1 << n_bits) - 1)
    lo, hi = char_ngrams
    if n_docs == 1 and length >= lo:
        # the worker's single comment: every n-gram length in one pass (position a, length
        # n, for n = lo..hi in turn), no separators to skip; on big batches the loop below
        # is faster (smaller arrays)
        ns = np.arange(lo, min(hi, length) + 1, dtype=np.int64)
        sizes = length - ns + 1
        first = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        nn = np.repeat(ns, sizes)
        a = np.arange(nn.shape[0], dtype=np.int64) - np.repeat(first, sizes)
        b = a + nn
        salt = nn.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)  # wraps mod 2**64
        h = _mix(sub_hash(a, b) + salt)
        docs.append(np.zeros(a.shape[0], dtype=np.int64))
        cols.append((h & mask).astype(np.int64))
        if spans:
            starts.append(a)
            ends.append(b)
            kinds.append(nn.astype(np.int8))
    for n in range(lo, hi + 1) if n_docs > 1 else ():
        if length < n:
            continue
        a = np.arange(length - n + 1, dtype=np.int64)
        b = a + n
        ok = sep_cum[b] == sep_cum[a]  # n-grams across a document separator are not features
        a, b = a[ok], b[ok]
        h = _mix(sub_hash(a, b) + np.uint64(n * 0x9E3779B97F4A7C15 & _MASK64))
        d = doc_of[a]
        docs.append(d)
        cols.append((h & mask).astype(np.int64))
        if spans:
            starts.append(a - doc_start[d])
            ends.append(b - doc_start[d])
            kinds.append(np.full(a.shape[0], n, dtype=np.int8))

    # words: maximal runs of characters that are neither space, separator nor punctuation, so
    # "كلب!" and "idiot," are the words كلب and idiot (char n-grams still see the punctuation)
    is_word = ~(ws | is_sep | _punctuation(c))
    edges = np.diff(np.concatenate(([False], is_word, [False])).astype(np.int8))
    w_start = np.flatnonzero(edges == 1).astype(np.int64)
    w_end = np.flatnonzero(edges == -1).astype(np.int64)
    w_raw = sub_hash(w_start, w_end)
    w_doc = doc_of[w_start] if w_start.size else np.zeros(0, dtype=np.int64)
    docs.append(w_doc)
    cols.append((_mix(w_raw + np.uint64(_SALT_WORD)) & mask).astype(np.int64))
    if spans:
        starts.append(w_start - doc_start[w_doc])
        ends.append(w_end - doc_start[w_doc])
        kinds.append(np.full(w_start.shape[0], -1, dtype=np.int8))
    if word_ngrams >= 2 and w_start.size > 1:
        same = w_doc[1:] == w_doc[:-1]
        a, b = w_start[:-1][same], w_end[1:][same]
        bh = w_raw[:-1][same] * np.uint64(_BASE_INV) + w_raw[1:][same]
        d = w_doc[:-1][same]
        docs.append(d)
        cols.append((_mix(bh + np.uint64(_SALT_BIGRAM)) & mask).astype(np.int64))
        if spans:
            starts.append(a - doc_start[d])
            ends.append(b - doc_start[d])
            kinds.append(np.full(a.shape[0], -2, dtype=np.int8))

    meta = _meta(c, doc_of, is_sep, w_raw, w_doc, lens, n_docs)
    empty = np.zeros(0, dtype=np.int64)
    insult: tuple[_I64, _I64, _I64] = (empty, empty + 1, empty + 1)
    if lexicon is not None and lexicon.size and w_raw.size:
        look = _lookup_forms(w_raw, w_start, w_end, w_doc, sub_hash)
        has_ids = identities is not None and identities.size > 0
        keys, in_lex, in_ids, table = _merged_lists(lexicon, identities if has_ids else None)
        found = _found(keys, table, look)  # one search for both lists
        n_hit, word_hit, pair_hit = _count_hits(found, in_lex, look, w_doc, n_docs)
        if spans:  # every word that hit, and every word pair that hit ("الله يحرقه")
            first = np.concatenate((np.flatnonzero(word_hit), pair_hit))
            last = np.concatenate((np.flatnonzero(word_hit), pair_hit + 1))
            hit_doc = w_doc[first]
            insult = (
                hit_doc,
                w_start[first] - doc_start[hit_doc],
                w_end[last] - doc_start[hit_doc],
            )
        meta[:, _HIT] = n_hit > 0
        meta[:, _HITS] = np.log1p(n_hit)
        if has_ids:
            n_id, _, _ = _count_hits(found, in_ids, look, w_doc, n_docs)
            meta[:, _IDENTITY_INSULT] = (n_hit > 0) & (n_id > 0)
    if not spans:  # nothing was collected: empty position arrays
        starts, ends, kinds = [empty], [empty], [empty.astype(np.int8)]
    return HashedBatch(
        doc=np.concatenate(docs),
        col=np.concatenate(cols),
        start=np.concatenate(starts) - 1,  # index into the unpadded normalised text
        end=np.concatenate(ends) - 1,
        kind=np.concatenate(kinds),
        meta=meta,
        insult_doc=insult[0],
        insult_start=insult[1] - 1,
        insult_end=insult[2] - 1,
    )


_PUNCT_RANGES = (
    (0x21, 0x2F),
    (0x3A, 0x3F),
    (0x5B, 0x5E),
    (0x60, 0x60),
    (0x7B, 0x7E),
    (0xA1, 0xBF),
    (0x060C, 0x060C),
    (0x061B, 0x061F),
    (0x066A, 0x066D),
    (0x06D4, 0x06D4),
    (0x2000, 0x206F),
    (0x2190, 0x2BFF),
    (0x1F000, 0x1FAFF),
)


_PUNCT_LO = np.array([lo for lo, _ in _PUNCT_RANGES], dtype=np.uint64)
_PUNCT_HI = np.array([hi for _, hi in _PUNCT_RANGES], dtype=np.uint64)


def _punctuation(c: _U64) -> _Bool:
    """Mask of punctuation, symbols and emoji in shifted code points (``@`` and ``_`` stay)."""
    cc = c - np.uint64(1)
    i = np.searchsorted(_PUNCT_LO, cc, side="right") - 1  # the range starting at or before
    inside: _Bool = (i >= 0) & (cc <= _PUNCT_HI[np.maximum(i, 0)])
    return inside


@dataclass(frozen=True, slots=True)
class _Lookup:
    """The forms of a batch's words that are looked up in a lexicon, computed once."""

    word: _I64  # which word each candidate form belongs to
    form: _U64  # raw hash of the bare word, or of the word after an Arabic clitic
    pair_doc: _I64  # document of each adjacent word pair in one document
    pair: _U64  # raw hash of that pair
    pair_first: _I64  # index of the pair's first word


def _lookup_forms(
    w_raw: _U64,
    w_start: _I64,
    w_end: _I64,
    w_doc: _I64,
    sub_hash: Callable[[_I64, _I64], _U64],
) -> _Lookup:
    # every clitic length in one pass: (word, k) for k = each clitic length in turn; a word
    # qualifies when it is longer than k + 1 and its first k letters are a clitic
    n_words = w_raw.shape[0]
    idx = np.arange(n_words * _CLITIC_KS.shape[0], dtype=np.int64) % max(n_words, 1)
    k = np.repeat(_CLITIC_KS, n_words)
    long_enough = (w_end - w_start)[idx] > k + 1
    idx, k = idx[long_enough], k[long_enough]
    start = w_start[idx]
    found = _in_sorted(sub_hash(start, start + k), _ALL_CLITIC_HASHES)
    idx, k, start = idx[found], k[found], start[found]
    words = [np.arange(n_words, dtype=np.int64), idx]
    forms = [w_raw, sub_hash(start + k, w_end[idx])]
    if w_start.size > 1:
        same = w_doc[1:] == w_doc[:-1]
        pair: _U64 = (w_raw[:-1] * np.uint64(_BASE_INV) + w_raw[1:])[same]
        pair_doc: _I64 = w_doc[:-1][same]
        pair_first: _I64 = np.flatnonzero(same)
    else:
        pair, pair_doc = np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
        pair_first = np.zeros(0, dtype=np.int64)
    return _Lookup(np.concatenate(words), np.concatenate(forms), pair_doc, pair, pair_first)


_MERGED: dict[tuple[int, int], tuple[object, object, _U64, _Bool, _Bool, _Bool]] = {}
_TABLE_BITS = 16  # a key's low bits index a table of which low bits occur at all


def _merged_lists(lexicon: _U64, identities: _U64 | None) -> tuple[_U64, _Bool, _Bool, _Bool]:
    """Both term lists as one sorted key array, with which list each key belongs to, and a
    table of the keys' low bits (``_TABLE_BITS``).

    Kept per pair of arrays (a fitted model's lists never change), so that a comment is
    looked up once, not once per list.
    """
    memo = _MERGED.get((id(lexicon), id(identities)))
    if memo is not None and memo[0] is lexicon and memo[1] is identities:
        return memo[2], memo[3], memo[4], memo[5]
    other = np.zeros(0, dtype=np.uint64) if identities is None else identities
    keys = np.union1d(lexicon, other).astype(np.uint64)
    in_lex, in_ids = np.isin(keys, lexicon), np.isin(keys, other)
    table = np.zeros(1 << _TABLE_BITS, dtype=bool)
    table[(keys & np.uint64((1 << _TABLE_BITS) - 1)).astype(np.int64)] = True
    if len(_MERGED) >= 8:
        _MERGED.clear()
    _MERGED[(id(lexicon), id(identities))] = (lexicon, identities, keys, in_lex, in_ids, table)
    return keys, in_lex, in_ids, table


def _search(keys: _U64, table: _Bool, q: _U64) -> tuple[_I64, _Bool]:
    """Where each of ``q`` sits in the sorted ``keys`` (0 when absent), and whether it is
    there.  Only queries whose low bits occur among the keys (a few in a hundred, for hashed
    words against a word list) are searched: the table answers the rest."""
    pos = np.zeros(q.shape[0], dtype=np.int64)
    found = np.zeros(q.shape[0], dtype=bool)
    maybe = np.flatnonzero(table[(q & np.uint64((1 << _TABLE_BITS) - 1)).astype(np.int64)])
    if maybe.size:
        at = np.minimum(np.searchsorted(keys, q[maybe]), keys.shape[0] - 1)
        pos[maybe] = at
        found[maybe] = keys[at] == q[maybe]
    return pos, found


def _found(keys: _U64, table: _Bool, look: _Lookup) -> tuple[_I64, _Bool, _I64, _Bool]:
    """Where each word form and each word pair sits in ``keys``, and whether it is there."""
    f_pos, f_found = _search(keys, table, look.form)
    p_pos, p_found = _search(keys, table, look.pair)
    return f_pos, f_found, p_pos, p_found


def _count_hits(
    found: tuple[_I64, _Bool, _I64, _Bool],
    listed: _Bool,
    look: _Lookup,
    w_doc: _I64,
    n_docs: int,
) -> tuple[_F64, _Bool, _I64]:
    """Count per document the words (bare or after a clitic) and word pairs of one list.

    ``found`` comes from ``_found``; ``listed`` marks the keys of that list.  Also return
    which words hit, and the first word of every word pair that hit.
    """
    f_pos, f_found, p_pos, p_found = found
    hit = np.zeros(w_doc.shape[0], dtype=bool)
    hit[look.word[f_found & listed[f_pos]]] = True
    n_hit = np.bincount(w_doc[hit], minlength=n_docs).astype(np.float64)
    pair_hit = look.pair_first[:0]
    if look.pair.size:
        in_list = p_found & listed[p_pos]
        n_hit += np.bincount(look.pair_doc[in_list], minlength=n_docs)
        pair_hit = look.pair_first[in_list]
    return n_hit, hit, pair_hit


def _per_doc(doc: _I64 | None, mask: _Bool | None, n_docs: int, n: int = 0) -> _F64:
    """Count per document the positions where ``mask`` holds (every position when None).

    ``doc`` None means one document: a plain count, no per-document bookkeeping.
    """
    if doc is None:
        total = n if mask is None else int(np.count_nonzero(mask))
        return np.array([float(total)])
    if mask is None:
        return np.bincount(doc, minlength=n_docs).astype(np.float64)
    counts: _F64 = np.bincount(doc[mask], minlength=n_docs).astype(np.float64)
    return counts


def _meta(
    c: _U64,
    doc_of: _I64,
    is_sep: _Bool,
    w_raw: _U64,
    w_doc: _I64,
    lens: _I64,
    n_docs: int,
) -> _F64:
    if n_docs == 1:  # the worker's single comment: plain sums instead of per-document counts
        cc = c - np.uint64(1)
        dd = None
    else:
        keep = ~is_sep
        cc = c[keep] - np.uint64(1)
        dd = doc_of[keep]
    arabic = (cc >= 0x0600) & (cc <= 0x06FF)
    latin = ((cc >= 0x61) & (cc <= 0x7A)) | ((cc >= 0x41) & (cc <= 0x5A))
    digit = (cc >= 0x30) & (cc <= 0x39)
    n_ar = _per_doc(dd, arabic, n_docs)
    n_la = _per_doc(dd, latin, n_docs)
    n_di = _per_doc(dd, digit, n_docs)
    n_chars = np.maximum(lens - 2, 0).astype(np.float64)
    letters = np.maximum(n_ar + n_la, 1.0)
    if n_docs == 1:  # a few words: counted as Python ints, no array per entity word
        words = w_raw.tolist()
        ent = np.array([[float(words.count(h)) for h in _ENTITY_LIST]])
    else:
        ent = np.zeros((n_docs, len(_ENTITY_HASHES)))
        for k, eh in enumerate(_ENTITY_HASHES):
            ent[:, k] = _per_doc(w_doc, w_raw == eh, n_docs)
    n_words = _per_doc(w_doc if n_docs > 1 else None, None, n_docs, w_doc.shape[0])
    # integer counts, or float zeros when there are no words (same values either way)
    n_unique: npt.NDArray[np.intp] | _F64
    if not w_raw.size:
        n_unique = np.zeros(n_docs)
    elif n_docs == 1:
        n_unique = np.array([len(set(words))])
    else:
        # mix first, then add the document: unmixed hashes of words one letter apart differ
        # by a small number, so (hash + doc) made such words of different documents collide
        _, first = np.unique(_mix(w_raw) + w_doc.astype(np.uint64), return_index=True)
        n_unique = np.bincount(w_doc[first], minlength=n_docs)
    ar_share = n_ar / letters
    la_share = n_la / letters
    m = np.zeros((n_docs, len(META_NAMES)))
    m[:, 0] = ent[:, 0] > 0
    m[:, 1] = np.log1p(ent[:, 0])
    m[:, 2] = ent[:, 1] > 0
    m[:, 3] = np.log1p(ent[:, 1])
    m[:, 4] = ent[:, 2] > 0
    m[:, 5] = ent[:, 3] > 0
    m[:, 6] = np.log1p(ent[:, 3])
    m[:, 7] = np.log1p(n_chars) / 7.0
    m[:, 8] = np.log1p(n_words) / 5.0
    m[:, 9] = ar_share
    m[:, 10] = la_share
    m[:, 11] = n_di / np.maximum(n_chars, 1.0)
    m[:, 12] = 4.0 * ar_share * la_share
    m[:, 13] = 1.0 - n_unique / np.maximum(n_words, 1.0)
    m[:, 14] = n_words <= 3
    return m


_INT32_MAX = int(np.iinfo(np.int32).max)
_LOG1P = np.log1p(np.arange(256, dtype=np.float64))


def _sort_32(key: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
    """Sort non-negative 32-bit keys in two stable passes over 16-bit halves (LSD radix).

    numpy sorts 16-bit integers by radix when asked for a stable sort, in linear time; on
    the ~500 keys per comment of a scoring batch that is about twice as fast as sorting the
    32-bit keys themselves.  Small arrays gain nothing and take ``np.sort``.
    """
    if key.size < 4096:
        return np.sort(key)
    low = key[np.argsort(key.astype(np.uint16), kind="stable")]
    out: npt.NDArray[np.int32] = low[np.argsort((low >> 16).astype(np.uint16), kind="stable")]
    return out


def to_matrix(batch: HashedBatch, n_docs: int, n_bits: int) -> sp.csr_matrix:
    """Build the feature matrix: log-scaled, L2-normalised hashed counts, then meta columns."""
    n_hash = 1 << n_bits
    key = batch.doc * n_hash + batch.col
    # the sort is the costliest step here: 32-bit keys take a radix sort
    key = _sort_32(key.astype(np.int32)) if n_docs * n_hash <= _INT32_MAX else np.sort(key)
    if key.size:
        first = np.empty(key.shape[0], dtype=bool)
        first[0] = True
        np.not_equal(key[1:], key[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        ukey = key[starts]
        counts = np.empty_like(starts)
        counts[:-1] = starts[1:] - starts[:-1]
        counts[-1] = key.shape[0] - starts[-1]
    else:
        ukey = key
        counts = np.zeros(0, dtype=np.int64)
    # log1p of small counts, read from a table (the same values as computing them each time)
    val = _LOG1P[counts] if counts.size and counts.max() < _LOG1P.shape[0] else np.log1p(counts)
    meta = batch.meta
    if n_docs == 1:  # one row: already in order, no per-document bookkeeping
        # left-to-right sum, as bincount adds: the same bits as the batch path
        sq1 = float(np.cumsum(val * val)[-1]) if val.size else 0.0
        val /= np.sqrt(max(sq1, 1e-12))
        m_col = np.flatnonzero(meta[0])
        return sp.csr_matrix(
            (
                np.concatenate((val, meta[0, m_col])),
                np.concatenate((ukey, n_hash + m_col)).astype(np.int32),
                np.array([0, ukey.shape[0] + m_col.shape[0]], dtype=np.int32),
            ),
            shape=(1, n_hash + meta.shape[1]),
        )
    doc = ukey // n_hash
    col = ukey - doc * n_hash
    sq = np.bincount(doc, weights=val * val, minlength=n_docs)
    val /= np.sqrt(np.maximum(sq, 1e-12))[doc]
    m_doc, m_col = np.nonzero(meta)  # row-major: grouped by document, columns in order
    # each row holds its hashed columns (in order already), then its meta columns: every
    # entry's place follows from the counts per document, no sort needed
    h_count = np.bincount(doc, minlength=n_docs)
    m_count = np.bincount(m_doc, minlength=n_docs)
    h_through = np.cumsum(h_count)  # hashed entries up to and including each document
    m_before = np.cumsum(m_count) - m_count  # meta entries before each document
    at_h = np.arange(ukey.shape[0]) + m_before[doc]
    at_m = np.arange(m_doc.shape[0]) + h_through[m_doc]
    indices = np.empty(ukey.shape[0] + m_doc.shape[0], dtype=np.int32)
    data = np.empty(indices.shape[0], dtype=np.float64)
    indices[at_h] = col
    indices[at_m] = n_hash + m_col
    data[at_h] = val
    data[at_m] = meta[m_doc, m_col]
    indptr = np.zeros(n_docs + 1, dtype=np.int32)
    np.cumsum(h_count + m_count, out=indptr[1:])
    return sp.csr_matrix((data, indices, indptr), shape=(n_docs, n_hash + meta.shape[1]))


class HashedTextFeatures(TransformerMixin, BaseEstimator):  # type: ignore[misc]  # sklearn: Any
    """Normalise each text once and turn it into hashed n-gram and meta features (stateless)."""

    def __init__(
        self,
        n_bits: int = 20,
        char_ngrams: tuple[int, int] = (2, 5),
        word_ngrams: int = 2,
        lexicon_terms: tuple[str, ...] = (),
        identity_terms: tuple[str, ...] = (),
    ) -> None:
        self.n_bits = n_bits
        self.char_ngrams = char_ngrams
        self.word_ngrams = word_ngrams
        self.lexicon_terms = lexicon_terms
        self.identity_terms = identity_terms

    def fit(self, X: Iterable[str], y: object = None, **fit_params: object) -> Self:  # noqa: N803
        """Record the output width; nothing is learned from the data."""
        self.n_features_out_ = (1 << self.n_bits) + len(META_NAMES)
        self.lexicon_ = lexicon_hashes(self.lexicon_terms, _norm.normalize)
        self.identities_ = lexicon_hashes(self.identity_terms, _norm.normalize)
        return self

    def _hash(self, texts: list[str], spans: bool = True) -> HashedBatch:
        lex = getattr(self, "lexicon_", None)
        ids = getattr(self, "identities_", None)
        lo, hi = self.char_ngrams  # may be a list after set_params / a JSON round trip
        return hash_batch(texts, self.n_bits, (lo, hi), self.word_ngrams, lex, ids, spans)

    def transform(self, X: Iterable[str]) -> sp.csr_matrix:  # noqa: N803
        """Return the sparse feature matrix of the texts ``X``."""
        return self.transform_normalized([_norm.normalize(t) for t in X])

    def transform_normalized(self, normalized: Sequence[str]) -> sp.csr_matrix:
        """Return the feature matrix of texts already passed through ``normalize``."""
        texts = [t.replace("\x00", " ") for t in normalized]
        parts: list[sp.csr_matrix] = []
        for i in range(0, max(len(texts), 1), _CHUNK):
            chunk = texts[i : i + _CHUNK]
            batch = self._hash(chunk, spans=False)  # the matrix needs no positions
            parts.append(to_matrix(batch, len(chunk), self.n_bits))
        return parts[0] if len(parts) == 1 else sp.vstack(parts, format="csr")

    def feature_spans(self, text: str) -> tuple[str, list[int], HashedBatch]:
        """Return the normalised text, its offsets and the hashed features with their spans."""
        normalized, offsets = _norm.normalize_with_offsets(text)
        normalized = normalized.replace("\x00", " ")
        batch = self._hash([normalized])
        return normalized, offsets, batch

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags
