"""Shared fixtures: where the real corpora live, skipping with a reason when absent."""
import os
import pathlib

import pytest

SHARED_DATA = pathlib.Path(
    os.environ.get("GENSIMX_DATA", pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "data"))


def shared_data_file(*parts: str) -> pathlib.Path:
    """Path to a file under ../shared/data, or skip the test with the reason."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real corpus {path} is absent (it lives beside the project root in "
                    f"shared/data; set GENSIMX_DATA to point elsewhere)")
    return path
