"""Private layer shared by ``w2vx`` and ``ldax``: nothing here is public API."""
