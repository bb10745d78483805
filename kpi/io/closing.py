"""`ClosedOnExit`: what a `with` block owns is closed when the block ends, or aborted when it raised."""

from __future__ import annotations

from typing import Self


class ClosedOnExit:
    """A context manager calling `close()` when its block succeeds and `abort()` when it raises (an
    abort closes unless the subclass knows a quicker way to drop what it holds)."""

    def close(self) -> object:
        raise NotImplementedError

    def abort(self) -> None:
        self.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:  # (type, value, traceback), as kpi.parallel's Extraction
        if exc_info[0] is None:
            self.close()
        else:
            self.abort()
