"""Options, arguments and exits that several commands share, defined once."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from kpi.io.readers import DEFAULT_MAX_DOC_CHARS
from kpi.parallel import DEFAULT_DOC_TIMEOUT, default_workers, prestart

F = TypeVar("F", bound=Callable[..., Any])


def inputs(name: str, metavar: str) -> Callable[[F], F]:
    """The files or folders a command reads, one or more."""
    return click.argument(name, nargs=-1, required=True, metavar=metavar)


def out(help: str) -> Callable[[F], F]:
    """`--out DIR`, the folder a command writes into (`help` names what it holds)."""
    return click.option(
        "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help=help
    )


def quiet(help: str) -> Callable[[F], F]:
    return click.option("--quiet", "-q", is_flag=True, help=help)


def no_validate(help: str) -> Callable[[F], F]:
    return click.option("--no-validate", is_flag=True, help=help)


def tuning(name: str, kind: click.ParamType, default: float, help: str, **more: Any) -> Callable[[F], F]:
    """A numeric option whose default --help shows."""
    return click.option(name, type=kind, default=default, show_default=True, help=help, **more)


manifest = click.option(
    "--manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSONL or CSV with doc_id, published, region for .txt/.html inputs.",
)
max_doc_chars = tuning(
    "--max-doc-chars",
    click.IntRange(min=1),
    DEFAULT_MAX_DOC_CHARS,
    "Longer documents are dead-lettered as too_large.",
)
workers = click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help=(
        "Extract in N worker processes, with the same records in the same order "
        "[default: the usable cores]; 1 extracts in this process."
    ),
)
doc_timeout = tuning(
    "--doc-timeout",
    click.FloatRange(min=0),
    DEFAULT_DOC_TIMEOUT,
    "Extraction time allowed per 100,000 characters of a document, and at least this for any "
    "document; past it the document is dead-lettered as `timeout` and the run goes on. 0: no limit.",
    metavar="SECONDS",
)


def extraction_settings(
    manifest: Path | None, max_doc_chars: int, no_validate: bool, workers: int | None, doc_timeout: float
) -> dict[str, Any]:
    """The run's keyword arguments from the options `kpi extract` and `kpi stream` share; with more than
    one worker their server is started now, so that it warms up while the rest of kpi loads."""
    workers = workers or default_workers()
    if workers > 1:
        prestart()
    return {
        "manifest": manifest,
        "max_doc_chars": max_doc_chars,
        "validate": not no_validate,
        "workers": workers,
        "doc_timeout": doc_timeout or None,
    }


def fail(command: str, message: str) -> NoReturn:
    """Exit 2 (unusable invocation or input) with a one-line message on stderr."""
    click.echo(f"kpi {command}: error: {message}", err=True)
    sys.exit(2)
