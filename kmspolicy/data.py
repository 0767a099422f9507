"""Where the top-level `grammars/` and `rules/` folders are, from a source checkout or a wheel."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """`grammars` or `rules`: inside the wheel at kmspolicy/_data/NAME, in a checkout at ./NAME."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"kmspolicy data folder `{name}` is missing from this installation")
