"""Private layer shared by ``w2vx`` and ``ldax``: nothing here is public API.

``__version__`` below is the package's one version number: pyproject.toml reads it
(``[tool.setuptools.dynamic]``) and ``w2vx.__version__`` / ``ldax.__version__`` re-export it.
"""

__version__ = "0.1.0"
