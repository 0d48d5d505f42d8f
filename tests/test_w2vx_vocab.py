"""w2vx's vocabulary agrees with gensim's for the same corpus and settings.

Word sets and counts are identical.  Order: both sort by descending count; ties
keep first-occurrence order in w2vx, while gensim 4.4 puts tied words in
reverse first-occurrence order, so orders are compared after re-sorting gensim
the w2vx way.
"""
import numpy as np
import pytest
from gensim import utils
from gensim.models import Word2Vec as GensimWord2Vec

from w2vx import Word2Vec


def zipf_corpus(seed=0, n_sentences=400, vocab_size=300):
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, vocab_size + 1)
    weights /= weights.sum()
    words = [f"w{i}" for i in rng.permutation(vocab_size)]
    return [[words[i] for i in rng.choice(vocab_size, size=rng.integers(1, 30), p=weights)]
            for _ in range(n_sentences)]


def counts_of(wv):
    return {w: int(wv.get_vecattr(w, "count")) for w in wv.index_to_key}


def build_both(corpus, **settings):
    ours = Word2Vec(vector_size=8, **settings)
    ours.build_vocab(corpus)
    theirs = GensimWord2Vec(vector_size=8, **settings)
    theirs.build_vocab(corpus)
    return ours, theirs


def rule_keep_w1(word, count, min_count):
    return utils.RULE_KEEP if word.endswith("1") else utils.RULE_DEFAULT


@pytest.mark.parametrize("settings", [
    dict(min_count=1),
    dict(min_count=3),
    dict(min_count=2, max_vocab_size=60),
    dict(min_count=1, max_final_vocab=40),
    dict(min_count=4, trim_rule=rule_keep_w1),
    dict(min_count=2, sample=1e-2),
    dict(min_count=2, sample=0),
    dict(min_count=1, sorted_vocab=0),
])
def test_same_vocabulary_counts_and_sampling_as_gensim(settings):
    corpus = zipf_corpus()
    trim_rule = settings.pop("trim_rule", None)
    ours = Word2Vec(vector_size=8, **settings)
    ours.build_vocab(corpus, trim_rule=trim_rule)
    theirs = GensimWord2Vec(vector_size=8, **settings)
    theirs.build_vocab(corpus, trim_rule=trim_rule, keep_raw_vocab=True)
    assert counts_of(ours.wv) == counts_of(theirs.wv)
    assert ours.corpus_count == theirs.corpus_count and ours.corpus_total_words == theirs.corpus_total_words
    assert ours.effective_min_count == theirs.effective_min_count
    if settings.get("sorted_vocab", 1):
        # first occurrence in the scan (a word pruned by max_vocab_size and seen again counts anew)
        position = {w: i for i, w in enumerate(theirs.raw_vocab)}
        gensim_order = sorted(theirs.wv.index_to_key, key=lambda w: (-counts_of(theirs.wv)[w], position[w]))
        assert ours.wv.index_to_key == gensim_order
        assert [ours.wv.get_vecattr(w, "count") for w in ours.wv.index_to_key] == \
            sorted(counts_of(ours.wv).values(), reverse=True)
    else:
        assert ours.wv.index_to_key == theirs.wv.index_to_key  # scan order
    for word in ours.wv.index_to_key:  # same downsampling thresholds (gensim's uint32 form)
        assert abs(int(ours.wv.get_vecattr(word, "sample_int")) -
                   int(theirs.wv.get_vecattr(word, "sample_int"))) <= 512


def test_ties_keep_first_occurrence_order():
    model = Word2Vec(vector_size=4, min_count=1)
    model.build_vocab([["b", "a", "c", "a", "d", "b", "c", "d", "e"]])
    assert model.wv.index_to_key == ["b", "a", "c", "d", "e"]


def test_initial_vectors_equal_gensims_for_same_seed():
    ours, theirs = build_both(zipf_corpus(1), min_count=2, seed=42)
    assert ours.wv.index_to_key[:1] == theirs.wv.index_to_key[:1]
    common = [w for w in ours.wv.index_to_key
              if ours.wv.key_to_index[w] == theirs.wv.key_to_index[w]]
    assert len(common) > 10
    np.testing.assert_array_equal(ours.wv[common], theirs.wv[common])


def test_update_adds_words_and_keeps_old_vectors():
    corpus = zipf_corpus(2)
    ours, theirs = build_both(corpus, min_count=2)
    before = ours.wv.vectors.copy()
    old_keys = list(ours.wv.index_to_key)
    extra = [["brand", "new", "words", "brand", "new"], ["brand", "new", "w1"]] * 2
    ours.build_vocab(extra, update=True)
    theirs.build_vocab(extra, update=True)
    n_old = len(old_keys)
    assert ours.wv.index_to_key[:n_old] == old_keys  # old words keep their slots
    assert ours.wv.index_to_key[n_old:] == theirs.wv.index_to_key[n_old:] == ["brand", "new", "words"]
    assert set(ours.wv.index_to_key) == set(theirs.wv.index_to_key)
    assert counts_of(ours.wv) == counts_of(theirs.wv)
    np.testing.assert_array_equal(ours.wv.vectors[:len(before)], before)
    assert ours.syn1neg.shape == (len(ours.wv), 8)
    model = Word2Vec(vector_size=4)
    with pytest.raises(RuntimeError, match="online vocabulary-update"):
        model.build_vocab([["a"] * 10], update=True)


def test_corpus_file_vocabulary_equals_iterable_vocabulary(tmp_path):
    corpus = zipf_corpus(3)
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(" ".join(s) for s in corpus) + "\n", encoding="utf-8")
    a = Word2Vec(vector_size=4, min_count=2)
    a.build_vocab(corpus)
    b = Word2Vec(vector_size=4, min_count=2)
    b.build_vocab(corpus_file=str(path))
    assert a.wv.index_to_key == b.wv.index_to_key and counts_of(a.wv) == counts_of(b.wv)
    assert a.corpus_count == b.corpus_count
