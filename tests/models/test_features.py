"""Hashed features: spans, determinism and the lexicon lookup."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mizan.models.features import META_NAMES, HashedTextFeatures, hash_batch, to_matrix

TEXT = st.text(
    alphabet=st.sampled_from(list("abc xyz") + list("كلبحمار ") + ["\u200b", "ـ", "1", "@"]),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=4))
def test_spans_lie_inside_each_normalised_text(texts):
    batch = hash_batch(texts, n_bits=12)
    assert batch.meta.shape == (len(texts), len(META_NAMES))
    for d, s, e, k in zip(batch.doc, batch.start, batch.end, batch.kind, strict=True):
        # char n-grams may include the padding space on either side
        assert -1 <= s < e <= len(texts[d]) + 1
        if k > 0:
            assert e - s == k
        else:
            word = texts[d][s:e]
            assert word and not any(ch.isspace() for ch in word if k == -1)
    assert batch.col.min(initial=0) >= 0 and batch.col.max(initial=0) < 1 << 12


def test_same_text_same_features_regardless_of_batch():
    a = hash_batch(["يا كلب"], n_bits=16)
    b = hash_batch(["شكرا", "يا كلب", "ok"], n_bits=16)
    assert sorted(a.col.tolist()) == sorted(b.col[b.doc == 1].tolist())


def test_words_one_letter_apart_in_other_comments_stay_distinct():
    # unmixed word hashes of "bx" and "ax" differ by exactly 1: a batch once counted the
    # second comment's only word as a repeat of the first's, so batch features (training)
    # and single-comment features (the worker) disagreed
    rep = META_NAMES.index("meta:repeated_words")
    batch = hash_batch(["bx", "ax"], n_bits=12).meta
    alone = hash_batch(["ax"], n_bits=12).meta
    assert batch[1, rep] == alone[0, rep] == 0.0


@settings(max_examples=40, deadline=None)
@given(st.lists(TEXT, min_size=2, max_size=6))
def test_batch_and_single_comment_features_agree(texts):
    feats = HashedTextFeatures(lexicon_terms=("كلب",)).fit(None)
    together = feats.transform(texts)
    for i, text in enumerate(texts):
        alone = feats.transform([text])
        assert (alone != together[i]).nnz == 0


@settings(max_examples=40, deadline=None)
@given(st.lists(TEXT, min_size=2, max_size=6))
def test_scoring_without_spans_builds_the_same_matrix(texts):
    # transform() leaves the positions out (spans=False); the matrix must not notice, and
    # the 32-bit sort keys of small batches must order the features as 64-bit ones do
    feats = HashedTextFeatures(lexicon_terms=("كلب",)).fit(None)
    lex, n_bits = feats.lexicon_, feats.n_bits
    with_spans = hash_batch(texts, n_bits, (2, 5), 2, lex, spans=True)
    bare = hash_batch(texts, n_bits, (2, 5), 2, lex, spans=False)
    assert bare.start.size == bare.end.size == bare.kind.size == bare.insult_doc.size == 0
    assert np.array_equal(bare.doc, with_spans.doc) and np.array_equal(bare.col, with_spans.col)
    assert np.array_equal(bare.meta, with_spans.meta)
    wide = to_matrix(with_spans, len(texts), 30)  # >= 2 docs x 2**30 columns: 64-bit keys
    small = to_matrix(bare, len(texts), n_bits)
    assert (feats.transform_normalized(texts) != small).nnz == 0
    assert np.array_equal(small.indptr, wide.indptr) and np.array_equal(small.data, wide.data)


def test_lexicon_hits_with_and_without_clitic():
    feats = HashedTextFeatures(lexicon_terms=("كلب", "son of")).fit(None)
    x = feats.transform(["يا كلب", "والكلب هنا", "you son of a", "شكرا جزيلا"])
    hit = META_NAMES.index("meta:lexicon_hit")
    n = (1 << feats.n_bits) + hit
    assert np.asarray(x[:, n].todense()).ravel().tolist() == [1.0, 1.0, 1.0, 0.0]


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.integers(0, (1 << 28) - 1), min_size=0, max_size=9000),
    st.integers(0, 5000),
)
def test_radix_sort_of_32_bit_keys_is_a_sort(keys, repeat_of):
    from mizan.models.features import _sort_32

    key = np.array(keys + keys[:repeat_of], dtype=np.int32)  # duplicates as in a batch
    out = _sort_32(key)
    assert out.dtype == np.int32 and np.array_equal(out, np.sort(key))


def test_batches_big_enough_for_the_radix_sort_build_the_same_matrix():
    # ~100 comments give some 10k keys: the radix path, against 64-bit keys and np.sort
    rng = np.random.default_rng(5)
    words = ["كلب", "شكرا", "الحكومة", "ya", "7mar", "news", "ليبيا", "!!", "2024", "@x"]
    texts = [" ".join(rng.choice(words, size=rng.integers(0, 12))) for _ in range(120)]
    feats = HashedTextFeatures(lexicon_terms=("كلب",), identity_terms=("ليبيا",)).fit(None)
    batch = hash_batch(texts, feats.n_bits, (2, 5), 2, feats.lexicon_, feats.identities_)
    assert batch.col.size >= 4096
    small = to_matrix(batch, len(texts), feats.n_bits)
    wide = to_matrix(batch, len(texts), 30)
    assert np.array_equal(small.indptr, wide.indptr) and np.array_equal(small.data, wide.data)
    # the same columns: hashed ones as they are, meta ones after 2**20 or 2**30 columns
    meta_small, meta_wide = small.indices >= 1 << 20, wide.indices >= 1 << 30
    assert np.array_equal(meta_small, meta_wide)
    assert np.array_equal(small.indices[~meta_small], wide.indices[~meta_wide])
    assert np.array_equal(
        small.indices[meta_small] - (1 << 20), wide.indices[meta_wide] - (1 << 30)
    )
    for i, text in enumerate(texts):  # and each row is the comment's own matrix
        assert (feats.transform_normalized([text]) != small[i]).nnz == 0
