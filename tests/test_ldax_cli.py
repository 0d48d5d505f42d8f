"""`python -m ldax` end to end: text file, folder and MmCorpus inputs, both models, user errors."""
import random
import re
import subprocess
import sys

import numpy as np
import pytest
from gensim.corpora import Dictionary, MmCorpus
from gensim.parsing.preprocessing import STOPWORDS
from gensim.utils import simple_preprocess

import ldax
from ldax.__main__ import main

GROUPS = [["apple", "banana", "cherry", "grape", "mango", "melon", "peach", "plum"],
          ["engine", "wheel", "brake", "clutch", "piston", "gearbox", "tyre", "axle"],
          ["violin", "cello", "piano", "flute", "oboe", "trumpet", "harp", "drum"]]
VOCAB = {w for g in GROUPS for w in g}
TOPIC_LINE = re.compile(r'^topic (\d+): (.*)$')


def planted_docs(n_docs: int = 60, length: int = 30, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(GROUPS[d % 3]) for _ in range(length)) for d in range(n_docs)]


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "docs.txt"
    path.write_text("\n".join(planted_docs()) + "\n")
    return path


def printed_topics(stdout: str) -> dict[int, list[str]]:
    """``{topic id: words}`` from the CLI's topic lines."""
    topics = {}
    for line in stdout.splitlines():
        m = TOPIC_LINE.match(line)
        if m:
            topics[int(m.group(1))] = re.findall(r'\*"([^"]+)"', m.group(2))
    return topics


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_text_file_trains_prints_and_saves(tmp_path, text_file, capsys):
    model_path, dict_path = tmp_path / "lda.npz", tmp_path / "dict.txt"
    code, out, err = run(capsys, "lda", text_file, "-k", 3, "--passes", 3, "--no-below", 1,
                         "--seed", 1, "--topn", 5, "-o", model_path, "--save-dictionary", dict_path)
    assert code == 0, err
    topics = printed_topics(out)
    assert sorted(topics) == [0, 1, 2]
    assert all(len(words) == 5 and set(words) <= VOCAB for words in topics.values())
    assert "trained in" in err                       # progress goes to stderr
    model = ldax.LdaModel.load(model_path)
    assert model.get_topics().shape == (3, 24)
    # the saved model is the one whose topics were printed
    for k, words in topics.items():
        assert [w for w, _ in model.show_topic(k, 5)] == words
    dictionary = Dictionary.load_from_text(str(dict_path))
    assert len(dictionary) == 24 and dictionary.num_docs == 60


def test_filtering_flags_reach_the_dictionary(tmp_path, capsys):
    path, dict_path = tmp_path / "docs.txt", tmp_path / "dict.txt"
    path.write_text("\n".join(d + " everywhere" for d in planted_docs()) + "\n")

    def vocabulary(*flags):
        code, _, err = run(capsys, "lda", path, "-k", 2, "--no-below", 1, *flags,
                           "--save-dictionary", dict_path, "-q")
        assert code == 0, err
        return set(Dictionary.load_from_text(str(dict_path)).token2id)

    assert vocabulary() == VOCAB                      # default no_above=0.5 drops "everywhere"
    assert vocabulary("--no-above", 1) == VOCAB | {"everywhere"}
    assert len(vocabulary("--keep-n", 10)) == 10
    assert "everywhere" in STOPWORDS                  # gensim's English stop words
    assert vocabulary("--stopwords", "--no-above", 1) == VOCAB
    assert vocabulary("--min-len", 6) == {w for w in VOCAB if len(w) >= 6}


def test_folder_reads_one_document_per_file(tmp_path, capsys):
    folder = tmp_path / "texts"
    (folder / "sub").mkdir(parents=True)
    for i, doc in enumerate(planted_docs(12)):
        (folder / ("sub" if i % 2 else "") / f"{i:02d}.txt").write_text(doc.replace(" ", "\n", 3))
    (folder / ".hidden").write_text("apple " * 50)
    dict_path = tmp_path / "dict.txt"
    code, out, err = run(capsys, "lda", folder, "-k", 3, "--no-below", 1,
                         "--save-dictionary", dict_path)
    assert code == 0, err
    assert Dictionary.load_from_text(str(dict_path)).num_docs == 12
    assert len(printed_topics(out)) == 3


def test_mmcorpus_with_dictionary(tmp_path, capsys):
    texts = [simple_preprocess(d) for d in planted_docs()]
    dictionary = Dictionary(texts)
    dict_path, mm_path, model_path = tmp_path / "d.txt", tmp_path / "c.mm", tmp_path / "m.npz"
    dictionary.save_as_text(str(dict_path))
    MmCorpus.serialize(str(mm_path), [dictionary.doc2bow(t) for t in texts])
    code, out, err = run(capsys, "lda", "--mm", mm_path, "--dictionary", dict_path, "-k", 3,
                         "--passes", 2, "--workers", 1, "--seed", 3, "-o", model_path)
    assert code == 0, err
    topics = printed_topics(out)
    assert sorted(topics) == [0, 1, 2] and all(set(w) <= VOCAB for w in topics.values())
    model = ldax.LdaModel.load(model_path)
    assert model.num_terms == len(dictionary)
    assert model.id2word[0] == dictionary[0]


def test_gsm_subcommand_same_inputs_and_outputs(tmp_path, text_file, capsys):
    model_path = tmp_path / "gsm.npz"
    code, out, err = run(capsys, "gsm", text_file, "-k", 3, "--epochs", 2, "--batch-size", 16,
                         "--hidden-sizes", "16", "--no-below", 1, "--seed", 0, "-o", model_path)
    assert code == 0, err
    topics = printed_topics(out)
    assert sorted(topics) == [0, 1, 2] and all(set(w) <= VOCAB for w in topics.values())
    model = ldax.GSM.load(model_path)
    topic_matrix = model.get_topics()
    assert topic_matrix.shape == (3, 24)
    np.testing.assert_allclose(topic_matrix.sum(axis=1), 1.0, rtol=1e-5)


def _bad_inputs(tmp_path):
    text = tmp_path / "docs.txt"
    text.write_text("\n".join(planted_docs()) + "\n")
    empty_mm = tmp_path / "empty.mm"
    MmCorpus.serialize(str(empty_mm), [[], []])
    small_dict = tmp_path / "small.txt"
    Dictionary([["apple"]]).save_as_text(str(small_dict))
    wide_mm = tmp_path / "wide.mm"
    MmCorpus.serialize(str(wide_mm), [[(0, 1.0), (5, 2.0)]])
    return {
        "missing file": (["lda", tmp_path / "nope.txt"], "does not exist"),
        "nothing survives filtering": (["lda", text, "--no-below", 100], "no words left"),
        "empty folder": (["lda", tmp_path / "emptydir"], "no files"),
        "zero topics": (["lda", text, "-k", 0], "must be >= 1"),
        "negative alpha": (["lda", text, "--alpha", "-1"], "--alpha"),
        "unknown eta name": (["lda", text, "--eta", "asymmetric"], "--eta"),
        "no_above above one": (["lda", text, "--no-above", 1.5], "(0, 1]"),
        "nan learning rate": (["gsm", text, "--learning-rate", "nan"], "--learning-rate"),
        "no input": (["lda"], "either"),
        "two inputs": (["lda", text, "--mm", empty_mm], "either"),
        "dictionary without mm": (["lda", text, "--dictionary", small_dict], "--mm"),
        "missing mm": (["lda", "--mm", tmp_path / "nope.mm"], "does not exist"),
        "text given as mm": (["lda", "--mm", text], "not a Matrix Market"),
        "empty mm": (["lda", "--mm", empty_mm], "no words"),
        "mm wider than dictionary": (["lda", "--mm", wide_mm, "--dictionary", small_dict],
                                     "terms but dictionary"),
        "text given as dictionary": (["lda", "--mm", wide_mm, "--dictionary", text], "dictionary"),
        "output folder missing": (["lda", text, "--no-below", 1, "-o", tmp_path / "no" / "m.npz"],
                                  "does not exist"),
    }


BAD_CASES = ["missing file", "nothing survives filtering", "empty folder", "zero topics",
             "negative alpha", "unknown eta name", "no_above above one", "nan learning rate",
             "no input", "two inputs", "dictionary without mm", "missing mm", "text given as mm",
             "empty mm", "mm wider than dictionary", "text given as dictionary",
             "output folder missing"]


@pytest.mark.parametrize("case", BAD_CASES)
def test_user_errors_exit_2_with_a_message(tmp_path, capsys, case):
    (tmp_path / "emptydir").mkdir()
    argv, expected = _bad_inputs(tmp_path)[case]
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert expected in err
    assert "error" in err and "Traceback" not in err
    assert not TOPIC_LINE.search(out)


def test_module_entry_point(tmp_path, text_file):
    """`python -m ldax` as a user runs it: topics on stdout, status 0; a user error: status 2."""
    ok = subprocess.run([sys.executable, "-m", "ldax", "lda", str(text_file), "-k", "2",
                         "--no-below", "1", "-q"], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert len(printed_topics(ok.stdout)) == 2
    bad = subprocess.run([sys.executable, "-m", "ldax", "lda", str(tmp_path / "missing.txt")],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert "does not exist" in bad.stderr and "Traceback" not in bad.stderr
