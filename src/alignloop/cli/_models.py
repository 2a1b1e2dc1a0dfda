"""`alignloop models generate|info`."""

from __future__ import annotations

import click

from alignloop.cli._common import emit_json, json_option, model_option


@click.group("models")
def group() -> None:
    """Generate with a model: default, local folder, hub id or endpoint."""


@group.command()
@model_option
@click.option("--prompt", "-p", required=True, help="The user message.")
@click.option("--system", default=None, help="Optional system prompt.")
@click.option("--max-new-tokens", default=128, show_default=True, type=click.IntRange(1, 8192))
@click.option("--temperature", default=0.0, show_default=True, type=click.FloatRange(0.0, 5.0), help="0 is greedy.")
@json_option
def generate(
    model: str, prompt: str, system: str | None, max_new_tokens: int, temperature: float, as_json: bool
) -> None:
    """Answer one prompt, e.g. `alignloop models generate --model default --prompt "Hi"`."""
    from alignloop.models import GenerationConfig, as_conversation, load_model

    m = load_model(model)
    text = m.generate(
        [as_conversation(prompt, system)], GenerationConfig(max_new_tokens=max_new_tokens, temperature=temperature)
    )[0]
    if as_json:
        emit_json({"model": m.name, "prompt": prompt, "response": text})
    else:
        click.echo(text)


@group.command()
@model_option
@json_option
def info(model: str, as_json: bool) -> None:
    """Load a model and describe it (backend, parameters, dtype)."""
    from alignloop.models import load_model

    d = load_model(model).describe()
    if as_json:
        emit_json(d)
    else:
        for k, v in d.items():
            click.echo(f"{k}: {v}")
