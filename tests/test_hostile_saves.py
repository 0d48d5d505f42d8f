"""Hostile conditions for saving: planted links, interrupted and concurrent saves.

Every writer of gensimx (model files, word2vec.c vector and vocabulary files,
dictionaries, both command lines' outputs) writes through
``_gensimx.atomic.atomic_write``.  The cases run in a child process (see
``_isolated``): the concurrent one forks writers.
"""
from __future__ import annotations

import multiprocessing
import os
import stat

import numpy as np
import pytest

import _isolated
from _isolated import case

MODULE = __name__
VICTIM_TEXT = b"must not be overwritten\n"


def _writers(folder):
    """(name, target path, write) for every kind of file gensimx writes."""
    from gensim.corpora import Dictionary, MmCorpus
    from gensim.test.utils import common_corpus, common_dictionary, common_texts
    from ldax import GSM, LdaModel
    from ldax.io import save_dictionary_text
    from w2vx import Word2Vec
    from w2vx.io import save_vectors, save_vocab

    w2v = Word2Vec(common_texts, vector_size=4, min_count=1, workers=1, epochs=1)
    lda = LdaModel(common_corpus, num_topics=2, id2word=common_dictionary, random_state=0, workers=1)
    gsm = GSM(common_corpus, num_topics=2, id2word=common_dictionary, epochs=1, batch_size=4,
              hidden_sizes=(4,), embedding_size=4, random_state=0)
    corpus = os.path.join(folder, "corpus.txt")
    with open(corpus, "w") as fh:
        fh.write("\n".join(" ".join(t) for t in common_texts * 5) + "\n")
    mm = os.path.join(folder, "corpus.mm")
    MmCorpus.serialize(mm, common_corpus)

    def path(name):
        return os.path.join(folder, name)

    def w2vx_cli(flag, target):
        from w2vx.__main__ import main
        assert main(["-train", corpus, flag, target, "-min-count", "1", "-size", "4",
                     "-threads", "1", "-debug", "0", "-iter", "1"]) == 0

    def ldax_cli(flag, target):
        from ldax.__main__ import main
        assert main(["lda", corpus, "--no-below", "1", "-k", "2", "-q", flag, target]) == 0

    return [
        ("Word2Vec.save", path("w2v.model"), lambda p: w2v.save(p)),
        ("LdaModel.save", path("lda.model"), lambda p: lda.save(p)),
        ("GSM.save", path("gsm.model"), lambda p: gsm.save(p)),
        ("save_vectors text", path("v.txt"), lambda p: save_vectors(w2v.wv, p)),
        ("save_vectors binary", path("v.bin"), lambda p: save_vectors(w2v.wv, p, binary=True)),
        ("save_vectors gz", path("v.txt.gz"), lambda p: save_vectors(w2v.wv, p)),
        ("save_vocab", path("vocab.txt"), lambda p: save_vocab(w2v.wv, p)),
        ("save_dictionary_text", path("dict.txt"), lambda p: save_dictionary_text(Dictionary(common_texts), p)),
        ("w2vx -output", path("cli.vec"), lambda p: w2vx_cli("-output", p)),
        ("w2vx -save-vocab", path("cli.vocab"), lambda p: w2vx_cli("-save-vocab", p)),
        ("ldax --output", path("cli.lda"), lambda p: ldax_cli("--output", p)),
        ("ldax --save-dictionary", path("cli.dict"), lambda p: ldax_cli("--save-dictionary", p)),
    ]


def _temporaries(folder):
    return [n for n in os.listdir(folder) if n.endswith(".tmp") and not os.path.islink(os.path.join(folder, n))]


@case("saves", seconds=40)
def planted_links_are_never_written_through(tmp):
    """A link planted at the old fixed temporary name (path + '.tmp') and at the target itself:
    the files they point to are untouched, the target becomes a regular file, nothing is left."""
    victim = os.path.join(tmp, "victim")
    for name, target, write in _writers(tmp):
        with open(victim, "wb") as fh:
            fh.write(VICTIM_TEXT)
        os.symlink(victim, target + ".tmp")
        os.symlink(victim, target)
        write(target)
        assert open(victim, "rb").read() == VICTIM_TEXT, name
        assert stat.S_ISREG(os.lstat(target).st_mode) and os.path.getsize(target) > 0, name
        assert not _temporaries(tmp), (name, _temporaries(tmp))
        os.unlink(target + ".tmp")


@case("saves", seconds=30)
def interrupted_saves_keep_the_old_file(tmp):
    """A save that fails half-way (Ctrl-C inside the writer, a full disk) leaves the previous
    file as it was and no temporary file."""
    from gensim.test.utils import common_texts
    from _gensimx import atomic
    from w2vx import Word2Vec
    path = os.path.join(tmp, "m.model")
    first = Word2Vec(common_texts, vector_size=4, min_count=1, workers=1, epochs=1, seed=1)
    first.save(path)
    before = open(path, "rb").read()
    second = Word2Vec(common_texts, vector_size=4, min_count=1, workers=1, epochs=1, seed=2)
    real_savez = np.savez

    def interrupted(fh, **arrays):
        fh.write(b"PK partial")
        raise KeyboardInterrupt
    np.savez = interrupted
    try:
        with pytest.raises(KeyboardInterrupt):
            second.save(path)
    finally:
        np.savez = real_savez
    assert open(path, "rb").read() == before and not _temporaries(tmp)
    np.testing.assert_array_equal(Word2Vec.load(path).wv.vectors, first.wv.vectors)
    with pytest.raises(OSError):
        with atomic.atomic_write(path) as fh:
            fh.write(b"half")
            raise OSError(28, "No space left on device")
    assert open(path, "rb").read() == before and not _temporaries(tmp)
    with pytest.raises(IsADirectoryError):
        second.save(tmp)
    with pytest.raises(FileNotFoundError):
        second.save(os.path.join(tmp, "no-such-folder", "m.model"))
    assert not _temporaries(tmp)


@case("saves", seconds=30)
def permissions_of_new_and_replaced_files(tmp):
    """A new file gets 0666 less the umask (as open() gives); a replaced file keeps its mode."""
    from _gensimx.atomic import atomic_write
    mask = os.umask(0o027)
    try:
        fresh = os.path.join(tmp, "fresh")
        with atomic_write(fresh) as fh:
            fh.write(b"x")
        assert stat.S_IMODE(os.stat(fresh).st_mode) == 0o640
        os.chmod(fresh, 0o604)
        with atomic_write(fresh) as fh:
            fh.write(b"y")
        assert stat.S_IMODE(os.stat(fresh).st_mode) == 0o604 and open(fresh, "rb").read() == b"y"
    finally:
        os.umask(mask)


def _save_repeatedly(path, seed, rounds, queue):
    from w2vx._archive import save_archive
    try:
        values = np.full((500, 50), seed, dtype=np.float32)
        for _ in range(rounds):
            save_archive(path, "test.Concurrent", {"values": values}, {"seed": seed})
        queue.put(None)
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        queue.put(repr(exc))


@case("saves", seconds=40)
def concurrent_saves_to_one_path(tmp):
    """Three processes save to one path 15 times each while this one reads it back: every read
    is a complete file of one writer, the last rename wins, no temporary file is left."""
    from w2vx._archive import load_archive
    path = os.path.join(tmp, "shared.model")
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    writers = [context.Process(target=_save_repeatedly, args=(path, seed, 15, queue)) for seed in (1, 2, 3)]
    for writer in writers:
        writer.start()
    reads = 0
    while any(w.is_alive() for w in writers) or reads == 0:
        if os.path.exists(path):
            arrays, meta = load_archive(path, "test.Concurrent", {"values": ((500, 50), np.float32)})
            assert meta["seed"] in (1, 2, 3) and np.all(arrays["values"] == meta["seed"])
            reads += 1
    for writer in writers:
        writer.join()
        assert writer.exitcode == 0
    assert [queue.get(timeout=10) for _ in writers] == [None] * 3
    arrays, meta = load_archive(path, "test.Concurrent", {"values": ((500, 50), np.float32)})
    assert np.all(arrays["values"] == meta["seed"])
    assert not _temporaries(tmp) and reads > 0


@pytest.mark.parametrize("name", _isolated.names(MODULE, "saves"))
def test_hostile_save(name):
    _isolated.check(MODULE, "saves", name)
