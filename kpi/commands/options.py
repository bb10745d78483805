"""Options that several commands share, defined once."""

from __future__ import annotations

from pathlib import Path

import click

from kpi.io.readers import DEFAULT_MAX_DOC_CHARS

manifest_option = click.option(
    "--manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSONL or CSV with doc_id, published, region for .txt/.html inputs.",
)
max_doc_chars_option = click.option(
    "--max-doc-chars",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_DOC_CHARS,
    show_default=True,
    help="Longer documents are dead-lettered as too_large.",
)
