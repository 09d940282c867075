"""One root error for jupyter-orch; every error a user can cause says what to fix."""

from __future__ import annotations

from dataclasses import dataclass


class OrchError(Exception):
    """Root of every error jupyter-orch raises on purpose."""


class UserError(OrchError):
    """A mistake in input a user gave (file, parameter, command); CLI exit 2, HTTP 4xx."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a pipeline file: where it is and what to fix."""

    path: str
    message: str
    line: int | None = None
    file: str | None = None

    def __str__(self) -> str:
        where = self.file or "<pipeline>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        field = f" {self.path}:" if self.path else ""
        return f"{where}:{field} {self.message}"


class SpecError(UserError):
    """A pipeline definition is invalid; carries every problem found, each with its location."""

    def __init__(self, problems: list[Problem], file: str | None = None) -> None:
        self.problems = problems
        self.file = file
        count = len(problems)
        head = f"{file or 'pipeline'}: {count} problem{'s' if count != 1 else ''}"
        super().__init__("\n".join([head, *(f"  {p}" for p in problems)]))


class ParameterError(UserError):
    """A run parameter is unknown or malformed."""


class TemplateError(UserError):
    """A template or `if:` expression failed to evaluate (for instance an unknown name)."""


class NotFoundError(UserError, LookupError):
    """A pipeline, version or run that does not exist."""


class UnreadableFile(UserError):
    """A file that is there but cannot be shown as asked: a table that does not parse, an image
    too large to preview; HTTP 422, the message names the file."""


class ConflictError(UserError):
    """The request conflicts with what is stored (same pipeline name from another file)."""


class NameTaken(ConflictError):
    """A pipeline name registered from another file: ``replace`` makes the new file its file,
    keeping the pipeline's history. Worded for the CLI, or (``api``) for REST clients."""

    code = "name_taken"

    def __init__(self, name: str, registered: str, new: str, *, api: bool = False) -> None:
        self.name, self.registered, self.new = name, registered, new
        how = (
            'send "replace": true (the lab\'s Replace) to make it its file, keeping its runs'
            if api
            else f"pass --replace to make {new} its file from now on"
        )
        super().__init__(
            f"a pipeline named {name!r} is already registered from {registered}; rename this "
            f"one, or {how}"
        )


class VersionRaced(ConflictError):
    """Another version was recorded while this one was being compared with the latest (its
    summary would describe the wrong change); recording again compares with the new latest."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"pipeline {name!r} changed while its new version was being recorded; try again"
        )


class SignatureError(UserError):
    """A webhook request whose signature or timestamp does not verify; HTTP 401. The message
    never says more than what the sender must fix (nothing about the secrets)."""


class UnavailableError(OrchError):
    """The service cannot answer now: its store is not open (yet), or it is misconfigured;
    HTTP 503. The message says why, and whether it is retrying."""


class ExecutionError(OrchError):
    """A fault while executing a step that is not the notebook's own error."""


class SettingError(UserError):
    """A setting has an invalid value; the message names where it was given."""
