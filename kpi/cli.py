"""The `kpi` command line: one group, one module per command (imported lazily so --help stays fast)."""

from __future__ import annotations

import importlib
import sys

import click

from kpi import __version__
from kpi.worker_server import prestart, wants_workers

# command name -> "module:attribute" of a click.Command
COMMANDS = {
    "extract": "kpi.commands.extract:extract_cmd",
    "validate": "kpi.commands.validate:validate_cmd",
    "track": "kpi.commands.track:track_cmd",
    "stream": "kpi.commands.stream:stream_cmd",
    "status": "kpi.commands.stream:status_cmd",
    "spark": "kpi.commands.spark:spark_group",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load(cmd_name)

    @staticmethod
    def _load(name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attr)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kpi")
def cli() -> None:
    """Turn Chinese government and news text into validated, tracked KPI records."""


def main() -> None:
    if wants_workers(sys.argv[1:]):
        prestart()  # the workers' server warms up while the command loads
    cli(prog_name="kpi")
