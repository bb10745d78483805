"""Options that several commands share, defined once."""

from __future__ import annotations

from pathlib import Path

import click

from kpi.io.readers import DEFAULT_MAX_DOC_CHARS
from kpi.parallel import DEFAULT_DOC_TIMEOUT

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
workers_option = click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help=(
        "Extract in N worker processes, with the same records in the same order "
        "[default: the usable cores]; 1 extracts in this process."
    ),
)
doc_timeout_option = click.option(
    "--doc-timeout",
    type=click.FloatRange(min=0),
    default=DEFAULT_DOC_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help=(
        "Extraction time allowed per 100,000 characters of a document, and at least this for any "
        "document; past it the document is dead-lettered as `timeout` and the run goes on. 0: no limit."
    ),
)
