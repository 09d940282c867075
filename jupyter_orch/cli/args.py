"""Argument types and options of ``jupyter orch`` commands: counts, seconds, run parameters."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import UserError


def parse_param(text: str) -> tuple[str, Any]:
    """``name=value`` with the value read as a YAML scalar (``7`` is an int; quote for text)."""
    from ruamel.yaml.error import YAMLError

    from jupyter_orch.inputs.yaml_load import load_yaml

    name, sep, raw = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected name=value, got {text!r}")
    from jupyter_orch.pipelines.loader import plain

    try:
        value = load_yaml(raw, "safe") if raw.strip() else ""
    except YAMLError as exc:
        raise argparse.ArgumentTypeError(f"value of {name!r} is not valid YAML: {exc}") from None
    return name.strip(), plain(value)


def count(maximum: int) -> Callable[[str], int]:
    """An argparse type: a whole number from 1 to ``maximum`` (argparse exits 2 otherwise)."""

    def parse(text: str) -> int:
        if not text.strip().isdigit() or len(text.strip()) > 9 or not 1 <= int(text) <= maximum:
            raise argparse.ArgumentTypeError(
                f"give a whole number from 1 to {maximum}, not {text!r}"
            )
        return int(text)

    return parse


#: The most rows a listing prints at once.
MAX_LISTING = 100_000
#: Seconds between scheduler rounds, at least and at most.
POLL_RANGE = (0.05, 3600.0)


def seconds_between(low: float, high: float) -> Callable[[str], float]:
    """An argparse type: a finite number of seconds within [low, high]."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not low <= value <= high:  # NaN fails too
            raise argparse.ArgumentTypeError(f"give seconds from {low} to {high}, not {text!r}")
        return value

    return parse


def add_param_option(parser: argparse.ArgumentParser) -> None:
    """Parameters as papermill takes them: ``-f`` files, then ``-p`` values, then ``-r`` raw
    strings, later ones winning."""
    parser.add_argument(
        "-p",
        "--param",
        action="append",
        type=parse_param,
        default=[],
        metavar="NAME=VALUE",
        help="parameter value, read as YAML (7 is a number; quote for text)",
    )
    parser.add_argument(
        "-f",
        "--parameters-file",
        action="append",
        default=[],
        metavar="FILE",
        help="a YAML file of parameters (name: value), as papermill's -f",
    )
    parser.add_argument(
        "--profile",
        metavar="NAME",
        help="start from the pipeline's profile NAME (its `profiles:`), then the values above",
    )
    parser.add_argument(
        "-r",
        "--param-raw",
        action="append",
        nargs=2,
        default=[],
        metavar=("NAME", "VALUE"),
        help="a parameter whose value is taken as text, as papermill's -r",
    )


def run_parameters(args: argparse.Namespace) -> dict[str, Any]:
    """The parameters a command was given: ``-f`` files in order, then ``-p``, then ``-r``."""
    values: dict[str, Any] = {}
    for path in args.parameters_file:
        values.update(_parameters_file(path))
    values.update(dict(args.param))
    values.update({name: value for name, value in args.param_raw})
    return values


def _parameters_file(path: str) -> dict[str, Any]:
    from ruamel.yaml.error import YAMLError

    from jupyter_orch.inputs.files import FileProblem, read_text
    from jupyter_orch.inputs.limits import MAX_YAML_FILE_BYTES
    from jupyter_orch.inputs.yaml_load import load_yaml
    from jupyter_orch.pipelines.loader import plain

    try:
        data = load_yaml(read_text(Path(path), MAX_YAML_FILE_BYTES), "safe")
    except FileProblem as exc:
        raise UserError(f"-f {path}: the parameters file {exc.reason}") from None
    except YAMLError as exc:
        raise UserError(f"-f {path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError(f"-f {path}: give a YAML mapping of name: value")
    return {str(name): value for name, value in plain(data).items()}
