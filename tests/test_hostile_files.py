"""Hostile files: damaged, crafted and oversized inputs to every loader and corpus reader.

Every case runs in a child process with a time limit (see ``_isolated``), so a
crash or a hang fails its case instead of killing the suite.  What each loader
must do with a file it does not like: raise its documented error
(``ModelFileError`` for model and vector files, ``VocabFileError`` for
vocabulary files, ``ValueError`` for corpora), quickly, without allocating
more than the file could hold; and a file it accepts must then be usable.
"""
from __future__ import annotations

import gzip
import os
import struct
import time
import zipfile

import numpy as np
import pytest

import _isolated
from _isolated import case, peak_rss_mb

MODULE = __name__
FUZZ_SEED = 14
RAW_FLIPS, TRUNCATIONS, MEMBER_FLIPS = 40, 15, 60


# ------------------------------------------------------------------ models and their use
def w2v_model():
    from gensim.test.utils import common_texts
    from w2vx import Word2Vec
    return Word2Vec(common_texts, vector_size=8, min_count=1, workers=1, epochs=1, hs=1, negative=3,
                    seed=1)


def lda_model():
    from gensim.test.utils import common_corpus, common_dictionary
    from ldax import LdaModel
    return LdaModel(common_corpus, num_topics=3, id2word=common_dictionary, passes=1,
                    random_state=0, workers=1)


def gsm_model():
    from gensim.test.utils import common_corpus, common_dictionary
    from ldax import GSM
    return GSM(common_corpus, num_topics=3, id2word=common_dictionary, epochs=2, batch_size=4,
               hidden_sizes=(8,), embedding_size=8, threads=1, random_state=0, eval_samples=2)


def use_w2v(model):
    from gensim.test.utils import common_texts
    if len(model.wv):
        model.wv.most_similar(model.wv.index_to_key[0], topn=2)
        model.train(common_texts, total_examples=len(common_texts), epochs=1)


def use_topics(model):
    from gensim.test.utils import common_corpus
    model.get_document_topics(common_corpus[0])
    model.show_topics(num_topics=2, num_words=3)
    if hasattr(model, "passes"):
        model.update(common_corpus[:4], passes=1, iterations=5)
    else:
        model.update(common_corpus, epochs=1)


def _models():
    from ldax import GSM, LdaModel
    from w2vx import Word2Vec
    return {"w2v": (w2v_model, Word2Vec.load, use_w2v), "lda": (lda_model, LdaModel.load, use_topics),
            "gsm": (gsm_model, GSM.load, use_topics)}


def load_and_use(kind, path, what):
    """Load ``path``: a ModelFileError is fine; anything else but success is a failure, and a
    model that loads must answer a query and train a step (a clear ValueError allowed)."""
    from w2vx._archive import ModelFileError
    _, load, use = _models()[kind]
    try:
        model = load(path)
    except ModelFileError:
        return "refused"
    except BaseException as exc:
        raise AssertionError(f"{what}: loading raised {type(exc).__name__}: {exc}") from exc
    try:
        use(model)
    except (ValueError, FloatingPointError):
        pass
    except BaseException as exc:
        raise AssertionError(f"{what}: the loaded model raised {type(exc).__name__}: {exc}") from exc
    return "loaded"


def saved(kind, folder):
    path = os.path.join(folder, f"{kind}.model")
    _models()[kind][0]().save(path)
    return path


# ------------------------------------------------------------------ mutations
def flipped(data: bytes, rng, count: int = 1, region: int | None = None) -> bytes:
    """``data`` with ``count`` random bytes replaced (within the first ``region`` bytes if given)."""
    out = bytearray(data)
    for _ in range(count):
        pos = int(rng.integers(0, min(len(out), region or len(out))))
        out[pos] = (out[pos] + int(rng.integers(1, 256))) % 256
    return bytes(out)


def truncation_points(size: int, rng) -> list[int]:
    fixed = [0, 1, 4, 22, size // 2, size - 22, size - 1]
    return sorted({p for p in fixed + rng.integers(0, size, TRUNCATIONS).tolist() if 0 <= p < size})


def rewrite_zip(source: str, target: str, members: dict[str, bytes] | None = None,
                compression: dict[str, int] | None = None) -> str:
    """Copy a zip replacing members' bytes (valid CRCs) and/or their compression."""
    with zipfile.ZipFile(source) as zin:
        data = {info.filename: zin.read(info) for info in zin.infolist()}
    data.update(members or {})
    with zipfile.ZipFile(target, "w") as zout:
        for name, blob in data.items():
            zout.writestr(name, blob, compress_type=(compression or {}).get(name, zipfile.ZIP_STORED))
    return target


def npy_bytes(array: np.ndarray) -> bytes:
    import io
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def fuzz_model_bytes(kind, tmp):
    """Byte flips and truncations anywhere in the file (zip structure, headers, CRCs)."""
    rng = np.random.default_rng(FUZZ_SEED)
    data = open(saved(kind, tmp), "rb").read()
    target = os.path.join(tmp, "fuzzed")
    seen = set()
    for i in range(RAW_FLIPS):
        open(target, "wb").write(flipped(data, rng, count=int(rng.integers(1, 4))))
        seen.add(load_and_use(kind, target, f"byte flip #{i}"))
    for cut in truncation_points(len(data), rng):
        open(target, "wb").write(data[:cut])
        assert load_and_use(kind, target, f"truncated to {cut} bytes") == "refused", cut
    assert "refused" in seen


def fuzz_model_members(kind, tmp):
    """Flips inside members rewritten with valid CRCs: the .npy headers, the arrays and the
    JSON metadata reach the loader's own checks."""
    rng = np.random.default_rng(FUZZ_SEED + 1)
    source = saved(kind, tmp)
    with zipfile.ZipFile(source) as zin:
        members = {info.filename: zin.read(info) for info in zin.infolist()}
    names = sorted(members)
    target = os.path.join(tmp, "fuzzed")
    outcomes = []
    for i in range(MEMBER_FLIPS):
        name = "__gensimx_meta__.npy" if i % 3 == 0 else names[int(rng.integers(len(names)))]
        region = 128 if rng.random() < 0.5 else None
        blob = flipped(members[name], rng, count=int(rng.integers(1, 4)), region=region)
        rewrite_zip(source, target, {name: blob})
        outcomes.append(load_and_use(kind, target, f"member flip #{i} in {name}"))
    assert "refused" in outcomes


for _kind in ("w2v", "lda", "gsm"):
    case("fuzz", seconds=30, name=f"fuzz_bytes_{_kind}")(lambda tmp, k=_kind: fuzz_model_bytes(k, tmp))
    case("fuzz", seconds=30, name=f"fuzz_members_{_kind}")(lambda tmp, k=_kind: fuzz_model_members(k, tmp))


# ------------------------------------------------------------------ crafted metadata
BAD_VALUES = [None, "x", True, [1], {"a": 1}, -1, 0, 1.5, 10**30, float("nan"), float("inf")]


def crafted_metadata(kind, tmp):
    """Every metadata field replaced by each wrong-typed or out-of-range value, and removed:
    the load is refused with ModelFileError, or succeeds and the model works."""
    from _model_files import read_model_file
    from w2vx._archive import save_archive
    source = saved(kind, tmp)
    arrays, meta, archive_kind = read_model_file(source)
    sections = [("", meta)]  # Word2Vec's fields; ldax's model, id2word and random_state objects
    sections += [(name, value) for name, value in meta.items() if kind != "w2v" and isinstance(value, dict)]
    target = os.path.join(tmp, "crafted")
    tried = 0
    for section, fields in sections:
        for field in list(fields):
            original = fields[field]
            for value in BAD_VALUES + ["<missing>"]:
                if value == "<missing>":
                    del fields[field]
                else:
                    fields[field] = value
                save_archive(target, archive_kind, arrays, meta)
                load_and_use(kind, target, f"{section}.{field} = {value!r}")
                fields[field] = original
                tried += 1
    assert tried > 50


for _kind in ("w2v", "lda", "gsm"):
    case("crafted", seconds=40, name=f"crafted_metadata_{_kind}")(lambda tmp, k=_kind: crafted_metadata(k, tmp))


@case("crafted", seconds=30)
def thread_counts_in_files_are_capped(tmp):
    """A file asking for 10**6 threads loads, keeps the value, and runs with the usable CPUs."""
    from _gensimx.cpus import usable_cpus
    from _model_files import rewrite_model_file
    for kind in ("w2v", "lda", "gsm"):
        field = {"w2v": "workers", "lda": "workers", "gsm": "threads"}[kind]

        def huge(meta, field=field, kind=kind):
            (meta if kind == "w2v" else meta["model"])[field] = 10**6
        path = rewrite_model_file(saved(kind, tmp), os.path.join(tmp, f"{kind}.huge"), edit_meta=huge)
        model = _models()[kind][1](path)
        assert getattr(model, field) == 10**6
        if kind != "w2v":
            assert model._threads == usable_cpus()
        _models()[kind][2](model)


@case("crafted", seconds=30)
def huge_and_zero_counts_in_a_model_file(tmp):
    """Counts up to 2**63 - 1 (sums beyond 64 bits) and 30,000 zero counts: the Huffman tree
    is built in moments (word2vec.c's sentinel made counts >= 2**61 loop forever)."""
    from _model_files import rewrite_model_file
    from w2vx import Word2Vec
    source = saved("w2v", tmp)
    for counts in ([2**63 - 1] * 12, [2**61, 2**62, 2**62 + 7] * 4, [0] * 12):
        def set_counts(arrays, counts=counts):
            arrays["counts"] = np.array(counts, dtype=np.int64)
        model = Word2Vec.load(rewrite_model_file(source, os.path.join(tmp, "c"), edit_arrays=set_counts))
        use_w2v(model)
        assert max(len(model.wv.get_vecattr(w, "code")) for w in model.wv.index_to_key) <= 11
    # a large vocabulary of zero counts: balanced, not a path n deep (n**2 / 2 entries)
    from w2vx._archive import save_archive
    n = 30_000
    words = [f"w{i}" for i in range(n)]
    blob = "".join(words).encode()
    arrays = {"vectors": np.zeros((n, 2), np.float32), "counts": np.zeros(n, np.int64),
              "keep_prob": np.ones(n, np.float32), "syn1": np.zeros((n, 2), np.float32),
              "word_bytes": np.frombuffer(blob, np.uint8),
              "word_lengths": np.array([len(w) for w in words], np.int64)}
    from _model_files import read_model_file
    _, meta, kind = read_model_file(source)
    meta.update(vector_size=2, negative=0, hs=1)
    save_archive(os.path.join(tmp, "zeros"), kind, arrays, meta)
    start = time.perf_counter()
    model = Word2Vec.load(os.path.join(tmp, "zeros"))
    assert time.perf_counter() - start < 10
    assert max(len(model.wv.get_vecattr(w, "code")) for w in words[:100]) <= 16


# ------------------------------------------------------------------ resource bombs
def npy_header(descr: str, shape: tuple) -> bytes:
    """A version 1.0 ``.npy`` header declaring ``descr`` and ``shape`` (no data)."""
    text = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode("latin1")
    pad = -(10 + len(text) + 1) % 64
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text) + pad + 1) + text + b" " * pad + b"\n"


def add_deflated_zeros(path: str, name: str, header: bytes, megabytes: int) -> None:
    """Add member ``name``: ``header`` then ``megabytes`` MiB of zeros, deflated about 1000:1."""
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        with zf.open(name, "w", force_zip64=True) as fh:
            fh.write(header)
            chunk = bytes(1 << 20)
            for _ in range(megabytes):
                fh.write(chunk)


def without_member(path: str, name: str) -> None:
    with zipfile.ZipFile(path) as zin:
        kept = {i.filename: zin.read(i) for i in zin.infolist() if i.filename != name}
    with zipfile.ZipFile(path, "w") as zout:
        for member, blob in kept.items():
            zout.writestr(member, blob)


@case("bombs", seconds=30)
def unexpected_deflate_bomb_member_is_never_inflated(tmp):
    """An extra 200 MiB member deflated to 0.2 MB: the model loads; the member is not read."""
    from w2vx import Word2Vec
    path = saved("w2v", tmp)
    add_deflated_zeros(path, "junk.npy", npy_header("<f8", (200 << 17,)), 200)
    before = peak_rss_mb()
    use_w2v(Word2Vec.load(path))
    assert peak_rss_mb() - before < 100, "the loader inflated a member it does not use"


@case("bombs", seconds=30)
def expected_member_declaring_too_much_is_refused_before_inflating(tmp):
    """word_lengths (whose length the loader cannot know beforehand) as a 200 MiB array
    deflated to 0.2 MB: refused by the inflation limit, before any allocation."""
    from w2vx import Word2Vec
    from w2vx._archive import ModelFileError
    path = saved("w2v", tmp)
    without_member(path, "word_lengths.npy")
    add_deflated_zeros(path, "word_lengths.npy", npy_header("<i8", (200 << 17,)), 200)
    before = peak_rss_mb()
    with pytest.raises(ModelFileError, match="decompression bomb"):
        Word2Vec.load(path)
    assert peak_rss_mb() - before < 100


@case("bombs", seconds=30)
def declared_sizes_beyond_the_file_are_refused(tmp):
    """A member whose central-directory size says 4 GiB, and an .npy header declaring 8 TiB
    in 16 bytes: ModelFileError before any allocation (was: a bare MemoryError)."""
    from w2vx import Word2Vec
    from w2vx._archive import ModelFileError
    path = saved("w2v", tmp)
    data = bytearray(open(path, "rb").read())
    struct.pack_into("<I", data, data.index(b"PK\x01\x02") + 24, 0xFFFFFFF0)  # uncompressed size
    open(os.path.join(tmp, "declared"), "wb").write(bytes(data))
    with pytest.raises(ModelFileError):
        Word2Vec.load(os.path.join(tmp, "declared"))
    tib = npy_header("<f4", (1 << 41,)) + bytes(16)
    before = peak_rss_mb()
    for member in ("vectors.npy", "word_lengths.npy", "__gensimx_meta__.npy"):
        with pytest.raises(ModelFileError):
            Word2Vec.load(rewrite_zip(path, os.path.join(tmp, "tib"), {member: tib}))
    assert peak_rss_mb() - before < 100


@case("bombs", seconds=30)
def network_and_vocabulary_sizes_are_checked_before_allocating(tmp):
    """GSM hidden sizes of 10**6 x 10**6, LDA with 10**7 topics and an id of 10**9, Word2Vec
    with vector_size 2**31 - 1: refused from the headers, without allocating."""
    from _model_files import rewrite_model_file
    from w2vx._archive import ModelFileError
    edits = {
        "gsm": lambda meta: meta["model"].update(hidden_sizes=[10**6, 10**6]),
        "lda": lambda meta: (meta["model"].update(num_topics=10**7, num_terms=10**9),
                             meta["id2word"]["token2id"].update(far=10**9 - 1)),
        "w2v": lambda meta: meta.update(vector_size=2**31 - 1),
    }
    before = peak_rss_mb()
    for kind, edit in edits.items():
        path = rewrite_model_file(saved(kind, tmp), os.path.join(tmp, f"{kind}.big"), edit_meta=edit)
        with pytest.raises(ModelFileError):
            _models()[kind][1](path)
    assert peak_rss_mb() - before < 100


@case("bombs", seconds=30)
def unusual_members_and_non_files(tmp):
    """bz2/lzma members, an object (pickled) array, a FIFO (opening it would block forever),
    a folder: ModelFileError each."""
    from w2vx import Word2Vec
    from w2vx._archive import ModelFileError
    path = saved("w2v", tmp)
    for method in (zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        target = rewrite_zip(path, os.path.join(tmp, f"m{method}"), compression={"vectors.npy": method})
        with pytest.raises(ModelFileError, match="compression"):
            Word2Vec.load(target)
    evil = rewrite_zip(path, os.path.join(tmp, "evil"), {"vectors.npy": npy_header("|O", (2,)) + bytes(16)})
    with pytest.raises(ModelFileError, match="numeric"):
        Word2Vec.load(evil)
    fifo = os.path.join(tmp, "fifo")
    os.mkfifo(fifo)
    with pytest.raises(ModelFileError, match="regular file"):
        Word2Vec.load(fifo)
    with pytest.raises(ModelFileError):
        Word2Vec.load(tmp)


# ------------------------------------------------------------------ word2vec.c files
def _vectors(tmp, binary, nan=False):
    from gensim.models import KeyedVectors
    from w2vx.io import save_vectors
    wv = KeyedVectors(vector_size=5)
    values = np.random.default_rng(0).normal(size=(6, 5)).astype(np.float32)
    if nan:
        values[3, 2] = np.nan
    wv.add_vectors(["the", "film", "café", "日本", "x'y", "42"], values)
    path = os.path.join(tmp, "v.bin" if binary else "v.txt")
    save_vectors(wv, path, binary=binary)
    return path


@case("vectors", seconds=30)
def fuzz_vector_files(tmp):
    """Byte flips and truncations of text and binary vector files: load_vectors returns finite
    vectors or raises ModelFileError."""
    from w2vx._archive import ModelFileError
    from w2vx.io import load_vectors
    rng = np.random.default_rng(FUZZ_SEED + 2)
    for binary in (False, True):
        data = open(_vectors(tmp, binary), "rb").read()
        target = os.path.join(tmp, "fuzzed")
        variants = [flipped(data, rng, int(rng.integers(1, 4))) for _ in range(RAW_FLIPS)]
        variants += [data[:cut] for cut in truncation_points(len(data), rng)]
        for i, blob in enumerate(variants):
            open(target, "wb").write(blob)
            try:
                wv = load_vectors(target, binary=binary)
            except ModelFileError:
                continue
            except BaseException as exc:
                raise AssertionError(f"binary={binary} variant #{i}: {type(exc).__name__}: {exc}") from exc
            assert np.isfinite(wv.vectors).all()
            if len(wv) > 1:
                wv.most_similar(wv.index_to_key[0], topn=1)


@case("vectors", seconds=30)
def crafted_vector_files(tmp):
    """NaN vectors, a text file read as binary, and a header declaring 10**11 words."""
    from w2vx._archive import ModelFileError
    from w2vx.io import load_vectors
    for binary in (False, True):
        with pytest.raises(ModelFileError, match="NaN or infinite"):
            load_vectors(_vectors(tmp, binary, nan=True), binary=binary)
    with pytest.raises(ModelFileError, match="text vector file"):
        load_vectors(_vectors(tmp, False), binary=True)
    for binary in (False, True):
        path = os.path.join(tmp, "huge")
        open(path, "wb").write(b"100000000000 100\nthe " + b"\x00" * 400)
        before = peak_rss_mb()
        with pytest.raises(ModelFileError, match="declares 100000000000 vectors"):
            load_vectors(path, binary=binary)
        assert peak_rss_mb() - before < 100
    for header in (b"", b"\n", b"-3 5\n", b"3\n", b"3 5 7\n", b"\xff\xfe 5\n"):
        open(path, "wb").write(header + b"a 1 2 3 4 5\n")
        with pytest.raises(ModelFileError):
            load_vectors(path)
    gz = os.path.join(tmp, "v.txt.gz")
    open(gz, "wb").write(gzip.compress(open(_vectors(tmp, False), "rb").read())[:-12])
    with pytest.raises(ModelFileError):
        load_vectors(gz)


@case("vectors", seconds=30)
def fuzz_vocab_files(tmp):
    """Byte flips and truncations of word2vec.c vocabulary files: read_vocab raises
    VocabFileError or returns counts that build_vocab_from_freq takes or refuses clearly."""
    from w2vx import Word2Vec
    from w2vx.io import VocabFileError, read_vocab
    rng = np.random.default_rng(FUZZ_SEED + 3)
    data = "".join(f"{w} {c}\n" for w, c in [("</s>", 0), ("the", 90), ("film", 12), ("café", 7),
                                               ("日本", 3), ("x", 1)]).encode()
    path = os.path.join(tmp, "vocab.txt")
    variants = [flipped(data, rng, int(rng.integers(1, 4))) for _ in range(RAW_FLIPS)]
    variants += [data[:cut] for cut in truncation_points(len(data), rng)]
    variants += [b"w 99999999999999999999999999\n", b"a 9223372036854775807\nb 9223372036854775807\n",
                 b"w 4611686018427387904\nv 4611686018427387903\n", b"w 0\nv 0\n"]
    for i, blob in enumerate(variants):
        open(path, "wb").write(blob)
        try:
            counts = read_vocab(path)
        except VocabFileError:
            continue
        model = Word2Vec(vector_size=4, min_count=0, hs=1, negative=2, workers=1)
        try:
            model.build_vocab_from_freq(counts)
        except ValueError:
            continue
        except BaseException as exc:
            raise AssertionError(f"variant #{i} {blob!r}: {type(exc).__name__}: {exc}") from exc


# ------------------------------------------------------------------ corpora
def _corpus_text() -> bytes:
    from gensim.test.utils import common_texts
    return ("\n".join(" ".join(s) for s in common_texts * 20) + "\n").encode()


@case("corpora", seconds=30)
def damaged_gzip_corpora(tmp):
    """Truncated and corrupted .gz corpora: Word2Vec(corpus_file=...) raises a ValueError
    naming the file, or trains on what decompresses cleanly."""
    from w2vx import Word2Vec
    from _gensimx.inputs import CorruptInputError
    data = gzip.compress(_corpus_text())
    rng = np.random.default_rng(FUZZ_SEED + 4)
    path = os.path.join(tmp, "corpus.txt.gz")
    open(path, "wb").write(data[:-10])
    with pytest.raises(CorruptInputError, match="corpus.txt.gz is truncated or corrupt"):
        Word2Vec(corpus_file=path, vector_size=4, min_count=1, workers=1, epochs=1)
    for i in range(8):
        open(path, "wb").write(flipped(data, rng, 2))
        try:
            Word2Vec(corpus_file=path, vector_size=4, min_count=1, workers=1, epochs=1)
        except ValueError:
            pass
        except BaseException as exc:
            raise AssertionError(f"flip #{i}: {type(exc).__name__}: {exc}") from exc


def _cli(module: str, argv: list[str], stdout: list | None = None) -> tuple[int, str]:
    """Run a CLI's main() here (the child process isolates a crash); returns (status, stderr),
    and appends what it printed to ``stdout`` if given."""
    import contextlib
    import io
    import importlib
    main = importlib.import_module(f"{module}.__main__").main
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        status = main(argv)
    if stdout is not None:
        stdout.append(out.getvalue())
    return status, err.getvalue()


def assert_one_line_error(status: int, stderr: str, *needles: str) -> None:
    lines = [line for line in stderr.splitlines() if "error" in line]
    assert status == 2, (status, stderr)
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1 and all(n in lines[0] for n in needles), stderr


@case("corpora", seconds=30)
def truncated_gzip_corpora_in_both_command_lines(tmp):
    """w2vx -train, ldax's text input and ldax --mm: one error line, exit status 2."""
    from gensim.corpora import Dictionary, MmCorpus
    from gensim.test.utils import common_texts
    data = gzip.compress(_corpus_text())
    path = os.path.join(tmp, "corpus.txt.gz")
    open(path, "wb").write(data[:-10])
    out = os.path.join(tmp, "vec.txt")
    assert_one_line_error(*_cli("w2vx", ["-train", path, "-output", out, "-min-count", "1",
                                          "-size", "4", "-threads", "1"]), "truncated or corrupt")
    assert not os.path.exists(out)
    assert_one_line_error(*_cli("ldax", ["lda", path, "--no-below", "1", "-q"]), "truncated or corrupt")
    dictionary = Dictionary(common_texts)
    mm = os.path.join(tmp, "corpus.mm")
    MmCorpus.serialize(mm, [dictionary.doc2bow(t) for t in common_texts * 50])
    raw = open(mm, "rb").read()
    open(mm + ".gz", "wb").write(gzip.compress(raw)[: len(gzip.compress(raw)) * 2 // 3])
    assert_one_line_error(*_cli("ldax", ["lda", "--mm", mm + ".gz", "-q", "-k", "2"]),
                          "truncated or corrupt")
    # an intact .gz text input trains
    open(path, "wb").write(data)
    status, _ = _cli("ldax", ["lda", path, "--no-below", "1", "-q", "-k", "2"])
    assert status == 0


@case("corpora", seconds=30)
def command_line_entry_points_print_no_traceback(tmp):
    """The real entry points (python -m) on a truncated .gz: one line, status 2."""
    import subprocess
    import sys
    path = os.path.join(tmp, "corpus.txt.gz")
    open(path, "wb").write(gzip.compress(_corpus_text())[:-10])
    for command in (["w2vx", "-train", path, "-output", os.path.join(tmp, "v"), "-min-count", "1"],
                    ["ldax", "lda", path, "--no-below", "1"]):
        done = subprocess.run([sys.executable, "-m", *command], capture_output=True, text=True,
                              timeout=60)
        assert_one_line_error(done.returncode, done.stderr, "truncated or corrupt")


@case("corpora", seconds=30)
def pickled_dictionaries_need_the_opt_in(tmp):
    """ldax --dictionary never unpickles without --allow-pickle (a pickle that would create a
    file proves it), says how to opt in, and --help documents the flag."""
    import pickle
    from gensim.corpora import Dictionary, MmCorpus
    from gensim.test.utils import common_texts
    dictionary = Dictionary(common_texts)
    mm = os.path.join(tmp, "corpus.mm")
    MmCorpus.serialize(mm, [dictionary.doc2bow(t) for t in common_texts])
    marker = os.path.join(tmp, "code-ran")

    class Payload:
        def __reduce__(self):
            return (open, (marker, "w"))
    evil = os.path.join(tmp, "evil.dict")
    open(evil, "wb").write(pickle.dumps(Payload(), protocol=4))
    assert_one_line_error(*_cli("ldax", ["lda", "--mm", mm, "--dictionary", evil, "-q", "-k", "2"]),
                          "--allow-pickle")
    assert not os.path.exists(marker)
    trusted = os.path.join(tmp, "trusted.dict")
    dictionary.save(trusted)
    status, _ = _cli("ldax", ["lda", "--mm", mm, "--dictionary", trusted, "-q", "-k", "2"])
    assert status == 2
    status, stderr = _cli("ldax", ["lda", "--mm", mm, "--dictionary", trusted, "--allow-pickle",
                                   "-q", "-k", "2"])
    assert status == 0, stderr
    printed = []
    assert _cli("ldax", ["lda", "--help"], printed)[0] == 0
    documented = " ".join(printed[0].split())
    assert "--allow-pickle" in documented and "runs any code" in documented


# ------------------------------------------------------------------ pytest entry
BATCHES = ("fuzz", "crafted", "bombs", "vectors", "corpora")


@pytest.mark.parametrize("batch,name", [(b, n) for b in BATCHES for n in _isolated.names(MODULE, b)])
def test_hostile_file(batch, name):
    _isolated.check(MODULE, batch, name)
