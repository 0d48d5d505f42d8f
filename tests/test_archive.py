import numpy as np
import pytest

from w2vx._archive import ModelFileError, load_archive, open_archive, save_archive


def test_round_trip(tmp_path):
    path = tmp_path / "m.bin"
    arrays = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array([1, 2], dtype=np.int64)}
    save_archive(path, "test.Kind", arrays, {"x": 1, "words": ["é", "b"]})
    got, meta = load_archive(path, "test.Kind", {"a": ((2, None), np.float32), "b": ((2,), np.int64)})
    assert meta == {"x": 1, "words": ["é", "b"]}
    np.testing.assert_array_equal(got["a"], arrays["a"])
    assert got["b"].dtype == np.int64
    with open_archive(path, "test.Kind") as archive:
        assert archive.shape("a") == (2, 3) and archive.has("b") and not archive.has("c")
        with pytest.raises(ModelFileError, match="shape"):
            archive.read("a", (3, 3), np.float32)
        with pytest.raises(ModelFileError, match="dtype"):
            archive.read("a", (2, 3), np.float64)
        with pytest.raises(ModelFileError, match="missing"):
            archive.read("c", (3,), None)


def test_wrong_kind_truncated_and_garbage(tmp_path):
    path = tmp_path / "m.bin"
    save_archive(path, "test.Kind", {"a": np.zeros(1000)}, {})
    with pytest.raises(ModelFileError, match="not a"):
        open_archive(path, "other.Kind")
    data = path.read_bytes()
    (tmp_path / "trunc").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError):
        load_archive(tmp_path / "trunc", "test.Kind", {"a": ((1000,), np.float64)})
    (tmp_path / "garbage").write_bytes(b"\x80\x04 not a model at all")
    with pytest.raises(ModelFileError):
        open_archive(tmp_path / "garbage", "test.Kind")
    with pytest.raises(FileNotFoundError):
        open_archive(tmp_path / "missing", "test.Kind")


def test_pickled_object_array_is_refused_on_load(tmp_path):
    # an npz smuggling a pickled object array must not be unpickled
    path = tmp_path / "evil.npz"
    with open(path, "wb") as fh:
        np.savez(fh, __gensimx_meta__=np.frombuffer(b'{"kind": "k", "meta": {}}', dtype=np.uint8),
                 payload=np.array([object()], dtype=object))
    with pytest.raises(ModelFileError):
        load_archive(path, "k", {"payload": ((1,), None)})
