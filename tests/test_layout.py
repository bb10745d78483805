"""The package's layout rules that a reader cannot see from one file: which module may do what."""

from __future__ import annotations

import re
from pathlib import Path

import kpi

ROOT = Path(kpi.__file__).parent
SOURCES = {p.relative_to(ROOT).as_posix(): p.read_text("utf-8") for p in ROOT.rglob("*.py")}


def test_only_the_adapter_imports_great_expectations():
    importing = {name for name, text in SOURCES.items() if "great_expectations" in text}
    assert importing == {"validation/gx.py"}


def test_no_silent_import_fallbacks():
    """A broken module of the package fails loudly; only optional extras may be missing, and their
    absence is reported naming the extra (kpi.commands.spark checks for pyspark with find_spec)."""
    catching = {
        name
        for name, text in SOURCES.items()
        if re.search(r"except\s*\(?[\w, ]*(ImportError|ModuleNotFoundError)", text)
    }
    assert catching == set()
