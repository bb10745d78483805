"""Traditional -> simplified Chinese. The only module that imports OpenCC (the C++ wheel)."""

from __future__ import annotations

from functools import cache


@cache
def _converter():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Convert with OpenCC's t2s profile (phrases first, then characters)."""
    return _converter().convert(text)
