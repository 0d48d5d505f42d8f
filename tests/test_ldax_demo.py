"""ldax.demo on a cut-down setting: every figure of its table is produced and consistent."""
import math

import pytest

from ldax import demo


@pytest.fixture(scope="module")
def result():
    return demo.run_demo(num_topics=4, passes=2, max_docs=80, workers=2, seed=3)


def test_both_models_produce_every_figure(result):
    assert result["settings"]["documents"] == 80
    assert result["settings"]["heldout_documents"] == 50
    for name in ("gensim", "ldax"):
        figures = result[name]
        assert figures["seconds"] > 0
        assert figures["docs_per_s"] == pytest.approx(80 * 2 / figures["seconds"])
        # a per-word log bound: negative and finite, not a placeholder
        assert math.isfinite(figures["heldout_bound"]) and figures["heldout_bound"] < 0
        assert -1.0 <= figures["coherence"] <= 1.0 and figures["coherence"] != 0
        assert len(figures["topics"]) == 4 and all(len(t) == 10 for t in figures["topics"])
    assert result["speed_ratio"] == pytest.approx(result["ldax"]["docs_per_s"]
                                                  / result["gensim"]["docs_per_s"])


def test_topics_come_from_the_filtered_vocabulary(result):
    train_texts, _ = demo.load_lee(80)
    from gensim.parsing.preprocessing import STOPWORDS
    seen = {w for text in train_texts for w in text}
    for name in ("gensim", "ldax"):
        words = {w for topic in result[name]["topics"] for w in topic}
        assert words <= seen and not words & STOPWORDS


def test_same_settings_give_comparable_quality(result):
    # same corpus, priors, seed and passes: two implementations of one algorithm
    # (measured 0.003 nats apart; a broken E-step or M-step is off by far more)
    g, x = result["gensim"]["heldout_bound"], result["ldax"]["heldout_bound"]
    assert abs(g - x) < 0.1


def test_report_prints_the_table(result):
    text = demo.format_report(result)
    for label in ("training time (s)", "documents/s", "speed vs gensim", "held-out bound",
                  "c_v coherence", "gensim: first 3 topics", "ldax: first 3 topics"):
        assert label in text
    assert f"{result['speed_ratio']:.1f}x" in text
    assert f"{result['ldax']['heldout_bound']:.3f}" in text


def test_main_rejects_bad_values(capsys):
    with pytest.raises(SystemExit) as exc:
        demo.main(["--passes", "0"])
    assert exc.value.code == 2
    assert "--passes" in capsys.readouterr().err
