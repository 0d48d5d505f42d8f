"""The one gate in front of every pickle gensimx could load: nothing is unpickled unless asked.

Unpickling a file runs whatever code its author put in it, so a pickle is only
ever loaded after the user opted in for that call (``allow_pickle=True`` in the
API, ``--allow-pickle`` on a command line).  Everything gensimx itself writes
is pickle-free; pickles only come from gensim (``Dictionary.save``,
``SaveLoad.save``).
"""
from __future__ import annotations

import os

from _gensimx.errors import ModelFileError

__all__ = ["PickleNotAllowed", "looks_like_pickle", "require_pickle_opt_in"]

# pickle protocols 2 to 5 start with the PROTO opcode and the protocol number
_PROTO = 0x80


class PickleNotAllowed(ModelFileError):
    """The file is a pickle and the caller did not opt in to loading pickles."""


def looks_like_pickle(head: bytes) -> bool:
    """True when ``head`` (the first bytes of a file) starts a pickle of protocol 2 or later.

    Examples
    --------
    >>> import pickle
    >>> looks_like_pickle(pickle.dumps({}, protocol=4)[:2]), looks_like_pickle(b"12\\n")
    (True, False)
    """
    return len(head) >= 2 and head[0] == _PROTO and 2 <= head[1] <= 5


def require_pickle_opt_in(path: str | os.PathLike, allowed: bool, what: str, how: str) -> None:
    """Raise :class:`PickleNotAllowed` unless the user opted in to unpickling ``path``.

    Parameters
    ----------
    path : str or PathLike
        The pickle file (named in the message).
    allowed : bool
        The user's opt-in for this call.  Must be exactly ``True``.
    what : str
        What the file holds, e.g. ``"a gensim Dictionary saved with Dictionary.save"``.
    how : str
        How to opt in, e.g. ``"pass --allow-pickle"`` or ``"pass allow_pickle=True"``.
    """
    if allowed is True:
        return
    raise PickleNotAllowed(
        f"{os.fspath(path)} is a pickle ({what}); unpickling a file runs any code its author "
        f"put in it, so gensimx loads pickles only when asked: {how} if you trust this file")
