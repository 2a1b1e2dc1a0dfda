"""The ``alignloop`` command line: one lazily-loaded group per stage of the loop.

Options come from flags, then environment variables ``ALIGNLOOP_<GROUP>_<COMMAND>_<OPTION>``,
then a YAML config file given with ``--config`` (keys nested by group and command), then defaults.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

import click

from alignloop import __version__

# name -> "module:attribute"; modules are imported only when the command runs (fast --help)
COMMANDS: dict[str, tuple[str, str]] = {
    "constitution": ("alignloop.cli._constitution:group", "Validate, show and create constitutions."),
    "models": ("alignloop.cli._models:group", "Generate with a model: default, path, hub id or endpoint."),
    "data": ("alignloop.cli._data:group", "Show, validate and export datasets and the bundled seed data."),
    "guard": ("alignloop.cli._guard:group", "Runtime input/output checks from the constitution."),
    "eval": ("alignloop.cli._eval:group", "Evaluate a model against the constitution; compare; gate."),
    "redteam": ("alignloop.cli._redteam:group", "Attack a model and export failures as training data."),
    "train": ("alignloop.cli._train:group", "Make training data and train (SFT, RM, DPO/IPO, KTO, ORPO, GRPO)."),
    "runs": ("alignloop.cli._runs:group", "List and show recorded runs."),
    "run": ("alignloop.cli._run:command", "Run the whole loop end to end and write a report."),
    "audit": ("alignloop.cli._audit:group", "Show, export and verify the hash-chained audit log."),
    "release": ("alignloop.cli._release:group", "Approve or reject models written by `alignloop run`."),
    "card": ("alignloop.cli._card:command", "Write a Hugging Face model card for an `alignloop run` folder."),
    "compliance": ("alignloop.cli._compliance:group", "Map EU AI Act, NIST AI 600-1, ISO 42001 items to evidence."),
    "incident": ("alignloop.cli._incident:group", "Open, update, close and list AI incidents."),
    "serve": ("alignloop.cli._serve:serve", "Serve a model behind the guards (OpenAI-compatible gateway)."),
    "keys": ("alignloop.cli._serve:keys", "Create, list and revoke the gateway's API keys."),
    "monitor": ("alignloop.cli._monitor:group", "Ingest production traces; windows, drift, alerts; probe endpoints."),
    "review": ("alignloop.cli._review:group", "Work the review queue of flagged traces; export them as training data."),
    "dashboard": ("alignloop.cli._dashboard:command", "Web dashboard: runs, gates, monitoring, review, incidents."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(n for n, (target, _) in COMMANDS.items() if _importable(target))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        target, _ = COMMANDS[cmd_name]
        if not _importable(target):
            return None
        mod, _, attr = target.partition(":")
        cmd = getattr(importlib.import_module(mod), attr)
        assert isinstance(cmd, click.Command)
        return cmd

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(n, COMMANDS[n][1]) for n in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _importable(target: str) -> bool:
    # cheap existence check without importing the module
    return importlib.util.find_spec(target.partition(":")[0]) is not None


def _load_config(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value:
        from alignloop.cli._common import load_config_file

        ctx.default_map = load_config_file(value)
    return value


@click.group(cls=LazyGroup, context_settings={"auto_envvar_prefix": "ALIGNLOOP", "help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="alignloop")
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    callback=_load_config,
    is_eager=True,
    expose_value=False,
    help="YAML file with option defaults, nested by group and command (e.g. eval: {run: {max_new_tokens: 64}}).",
)
def cli() -> None:
    """alignloop: align a language model to a written constitution.

    \b
    The loop: constitution -> train -> guard -> red-team & evaluate -> back to training.
    Start with `alignloop run -o runs/first --quick` on the embedded default model.
    """


def main(argv: list[str] | None = None) -> Any:
    """Console entry point: user mistakes print one message and exit with code 2."""
    from alignloop._util.errors import UserError
    from alignloop._util.hardware import close_distributed
    from alignloop._util.quiet import quiet_libraries

    quiet_libraries()  # library advice (ONNX export, quantization, HF progress bars) stays out of the output
    try:
        result = cli.main(args=argv, prog_name="alignloop", standalone_mode=False)
        close_distributed()  # on success only: after a failure another rank may never reach the barrier
        return result
    except UserError as e:
        from rich.console import Console
        from rich.markup import escape

        err = Console(stderr=True)
        err.print(f"[bold red]error:[/] {escape(e.message)}", highlight=False)
        if e.hint:
            err.print(f"  [yellow]fix:[/] {escape(e.hint)}", highlight=False)
        sys.exit(e.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(2 if e.exit_code == 2 else e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted; rerun the same command to resume", err=True)
        sys.exit(130)
    except Exception as e:
        from alignloop._util.errors import disk_full

        where = disk_full(e)
        if where is None:
            raise
        # results are written atomically, so a full disk leaves finished stages and checkpoints intact
        click.echo(f"error: no space left on device{f' while writing {where}' if where else ''}", err=True)
        click.echo(
            "  fix: free disk space (df -h; the output folder, ~/.cache/alignloop and the temp folder) "
            "and rerun the same command: it resumes where it stopped",
            err=True,
        )
        sys.exit(2)
