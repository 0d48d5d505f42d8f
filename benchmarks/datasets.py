"""Loaders for the real corpora in ../shared/data, shared by every benchmark.

Each loader exits with a clear message (``SystemExit``) when the data folder is
absent, since benchmarks are scripts, not tests.  Set ``GENSIMX_DATA`` to read
the corpora from elsewhere.
"""
from __future__ import annotations

import gzip
import os
import pathlib
import shutil
import tarfile
import tempfile
from functools import lru_cache

from gensim.corpora import Dictionary
from gensim.utils import simple_preprocess

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHARED_DATA = pathlib.Path(os.environ.get("GENSIMX_DATA", ROOT.parent / "shared" / "data"))


def data_file(*parts: str) -> pathlib.Path:
    """Path to a file under the shared data folder, or exit with the reason."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        raise SystemExit(f"benchmark data {path} is absent: the real corpora live in "
                         f"shared/data beside the project root (or set GENSIMX_DATA)")
    return path


def imdb_text_path() -> pathlib.Path:
    """The IMDB corpus (one review per line) decompressed once to a temporary file.

    Reused across runs while its size matches the original (62.7 MB), so the
    timing of a benchmark never includes gunzip.
    """
    source = data_file("imdb_reviews.txt.gz")
    target = pathlib.Path(tempfile.gettempdir()) / "gensimx-data" / "imdb_reviews.txt"
    if not target.exists() or target.stat().st_size < 60_000_000:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        with gzip.open(source, "rb") as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        os.replace(tmp, target)
    return target


def _read_feat(path: pathlib.Path) -> list[list[tuple[int, int]]]:
    docs = []
    with open(path) as fh:
        for line in fh:
            fields = line.split()
            if len(fields) <= 1:        # the trailing label-only line carries no words
                continue
            # ids in the file are 1-based into vocab.new; ours are 0-based
            docs.append([(int(w) - 1, int(c)) for w, c in (f.split(":") for f in fields[1:])])
    return docs


@lru_cache(maxsize=None)
def load_20news_bow() -> tuple[list, list, Dictionary]:
    """The NVDM/GSM papers' 20 Newsgroups bag of words: ``(train, test, dictionary)``.

    V = 1995 (id 0, ``_eos_``, never occurs); train 11,258 and test 7,487 documents.
    """
    folder = data_file("20news_bow")
    words = [line.split()[0] for line in open(folder / "vocab.new")]
    dictionary = Dictionary()
    dictionary.token2id = {w: i for i, w in enumerate(words)}
    train = _read_feat(folder / "train.feat")
    test = _read_feat(folder / "test.feat")
    for docs in (train, test):
        for doc in docs:
            for w, c in doc:
                dictionary.dfs[w] = dictionary.dfs.get(w, 0) + 1
                dictionary.cfs[w] = dictionary.cfs.get(w, 0) + c
    dictionary.num_docs = len(train) + len(test)
    dictionary.num_pos = sum(dictionary.cfs.values())
    return train, test, dictionary


@lru_cache(maxsize=None)
def load_20news_raw_texts() -> tuple[list[list[str]], list[list[str]]]:
    """Raw 20 Newsgroups "bydate" messages tokenised with gensim's ``simple_preprocess``.

    Returns ``(train_texts, test_texts)`` in the archive's order (grouped by newsgroup).
    """
    archive = data_file("20news-bydate.tar.gz")
    train, test = [], []
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            if not member.isfile():
                continue
            text = tar.extractfile(member).read().decode("latin-1")
            (train if "-train/" in member.name else test).append(simple_preprocess(text))
    return train, test


def load_20news_raw_bow(no_below: int = 5, no_above: float = 0.5) -> tuple[list, list, Dictionary]:
    """Raw 20 Newsgroups as BoW: a Dictionary fitted on train with ``filter_extremes``."""
    train_texts, test_texts = load_20news_raw_texts()
    dictionary = Dictionary(train_texts)
    dictionary.filter_extremes(no_below=no_below, no_above=no_above, keep_n=None)
    return ([dictionary.doc2bow(t) for t in train_texts],
            [dictionary.doc2bow(t) for t in test_texts], dictionary)


def imdb_sg_hs_model(seed: int) -> tuple[list, "object"]:
    """IMDB's lines as token lists and an untrained w2vx skip-gram + hs model with their
    vocabulary: the Spark word2vec benchmark's settings (the merge probes start here)."""
    from w2vx.word2vec import Word2Vec
    lines = [line.split(" ") for line in open(imdb_text_path()).read().split("\n") if line]
    freq: dict[str, int] = {}
    for tokens in lines:
        for token in tokens:
            freq[token] = freq.get(token, 0) + 1
    model = Word2Vec(vector_size=100, window=5, min_count=5, alpha=0.025, min_alpha=0.025e-4,
                     epochs=1, sg=1, hs=1, negative=0, sample=0.0, seed=seed, workers=1)
    model.build_vocab_from_freq(freq, corpus_count=len(lines))
    return lines, model
