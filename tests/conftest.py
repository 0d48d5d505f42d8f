"""Shared fixtures: the real corpora and a local Spark session, skipping with a reason when absent."""
from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess

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


# CI sets this so that a missing pyspark or Java fails the Spark tests instead of skipping them.
SPARK_REQUIRED = os.environ.get("GENSIMX_REQUIRE_SPARK") == "1"
SPARK_JAVA_MAJOR = 17  # Spark 4 runs on Java 17 and 21


def java_major(java: str) -> int | None:
    """Major version printed by ``java -version`` (``"17.0.9"`` -> 17, ``"1.8.0"`` -> 8)."""
    try:
        said = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', said)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def spark_unavailable() -> str | None:
    """Why a local Spark session cannot start here (pyspark or Java missing), or None."""
    from w2vx._spark import require_pyspark
    try:
        require_pyspark()
    except ImportError as exc:
        return f"{exc} (the Spark tests also need Java {SPARK_JAVA_MAJOR}+)"
    java_home = os.environ.get("JAVA_HOME")
    java = os.path.join(java_home, "bin", "java") if java_home else shutil.which("java")
    if not java or not os.path.exists(java):
        return (f"no Java found ({'JAVA_HOME=' + java_home if java_home else 'no java on PATH'}): "
                f"Spark 4 needs Java {SPARK_JAVA_MAJOR} or 21, e.g. apt install openjdk-17-jre-headless")
    major = java_major(java)
    if major is None or major < SPARK_JAVA_MAJOR:
        return f"{java} is Java {major or 'of unknown version'}: Spark 4 needs Java {SPARK_JAVA_MAJOR} or 21"
    return None


@pytest.fixture(scope="session")
def spark():
    """A local SparkSession (local[2], 127.0.0.1, UI off), shared by the Spark tests.

    Skips them with the reason when pyspark or Java is absent (fails instead when
    GENSIMX_REQUIRE_SPARK=1); a session that fails to start with both present is an error.
    """
    reason = spark_unavailable()
    if reason:
        if SPARK_REQUIRED:
            pytest.fail(f"GENSIMX_REQUIRE_SPARK=1 but {reason}")
        pytest.skip(reason)
    from w2vx._spark import local_session
    return local_session(2)
