"""Query, function and export steps: run in a process of their own (``jupyter_orch.calls``).

Each builds a ``CallTask`` whose ``spec`` the child process reads. Every file a step names or
writes, rendered templates included, resolves inside the pipeline's root as notebooks do; the
connection is resolved here, so the child never sees a name it could not use.
"""

from __future__ import annotations

import asyncio
import hashlib
from abc import abstractmethod
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from jupyter_orch.datasets.names import connection_label, file_dataset, table_dataset
from jupyter_orch.executors.base import CallTask
from jupyter_orch.expressions import render_value
from jupyter_orch.inputs.files import FileProblem, read_text
from jupyter_orch.inputs.limits import MAX_YAML_FILE_BYTES
from jupyter_orch.spec import StepSpec
from jupyter_orch.spec_kinds import python_target

from .base import AttemptContext, PreparedStep, StepKind, working_folder


class CallStep(StepKind):
    """What the three kinds share: the task, its folder and environment. A kind says what its
    process needs (``spec``), read off the event loop: it resolves paths and reads files."""

    #: The ``kind`` the child process runs.
    call: ClassVar[str]

    @abstractmethod
    def spec(self, prepared: PreparedStep) -> dict[str, Any]:
        """What the child process needs, paths resolved inside the root; ``ValueError`` if the
        step cannot run as it is."""

    async def build_task(self, prepared: PreparedStep) -> CallTask:
        spec = await asyncio.to_thread(self.spec, prepared)
        attempt, step = prepared.attempt, prepared.step
        return CallTask(
            key=f"{attempt.run_id}/{step.name}/{prepared.output.name}",
            kind=self.call,
            spec={"step": step.name, **spec},
            output_notebook=str(prepared.output),
            cwd=str(attempt.named_paths.base),
            env=prepared.environment(),
            reuse_key=None,
            hidden_env=attempt.hidden_env,
            masked=attempt.access.masked,
            timeout=prepared.policy.timeout,
            max_memory=prepared.policy.max_memory,
        )

    @staticmethod
    def data_file(prepared: PreparedStep) -> str:
        """Where a step's rows go: ``<run.dir>/<step>.parquet``."""
        return str(prepared.attempt.artifacts_dir / f"{prepared.step.name}.parquet")

    @staticmethod
    def connection_url(prepared: PreparedStep, connection: str) -> str:
        return prepared.attempt.access.connections.resolve(prepared.render(connection))


class QueryStep(CallStep):
    """``sql:`` text or ``{file: x.sql}``, on ``connection:``, parameters bound."""

    name = "query"
    call = "query"
    invalid_source = "InvalidQuery"

    def spec(self, prepared: PreparedStep) -> dict[str, Any]:
        step = prepared.step
        assert step.sql is not None and step.connection is not None
        if isinstance(step.sql, str):
            sql = step.sql
        else:
            sql = _read_sql(prepared.source(step.sql.file, "sql file")[1])
        return {
            "sql": sql,
            "url": self.connection_url(prepared, step.connection),
            "parameters": prepared.parameters,
            "output": self.data_file(prepared),
        }

    def known_datasets(
        self, step: StepSpec, declared: dict[str, Any], attempt: AttemptContext
    ) -> Iterator[tuple[str, str]]:
        """The tables its SQL reads and writes (parsed in its own process), on its connection."""
        tables = declared.get("sql") or {}
        if not tables or step.connection is None:
            return
        label = _connection_label(step.connection, attempt)
        for side in ("inputs", "outputs"):
            for table in tables.get(side) or []:
                yield side, table_dataset(label, str(table))


def _connection_label(reference: str, attempt: AttemptContext) -> str:
    rendered = str(render_value(reference, attempt.expressions))
    try:
        url: str | None = attempt.access.connections.resolve(rendered)
    except ValueError:
        url = None
    return connection_label(rendered, url)


def _read_sql(path: Path) -> str:
    try:
        return read_text(path, MAX_YAML_FILE_BYTES)
    except FileProblem as exc:
        raise ValueError(f"sql file {path.name}: {exc.reason}") from None


class FunctionStep(CallStep):
    """``python: FILE.py:FUNCTION`` or ``package.module:function``, parameters as arguments."""

    name = "function"
    call = "function"
    invalid_source = "InvalidFunction"

    def spec(self, prepared: PreparedStep) -> dict[str, Any]:
        assert prepared.step.python is not None
        target, function = python_target(prepared.step.python)
        base = prepared.attempt.named_paths.base
        folders = [str(base)]
        if target.endswith(".py"):
            named, path = prepared.source(target, "python file")
            if not path.is_file():
                raise ValueError(f"python file {target!r} not found")
            target = str(path)
            # Modules beside the file import from there, read from disk
            folders.insert(0, str(working_folder(named, base)))
        return {
            "target": target,
            "function": function,
            "parameters": prepared.parameters,
            "folder": str(base),
            "folders": list(dict.fromkeys(folders)),
            "output": self.data_file(prepared),
        }


class ExportStep(CallStep):
    """``export: {from: file, to: {table, connection} | {file}}``."""

    name = "export"
    call = "export"
    invalid_source = "InvalidExport"

    def spec(self, prepared: PreparedStep) -> dict[str, Any]:
        export = prepared.step.export
        assert export is not None
        target = export.to
        if target.notify:
            return self.message(prepared)
        assert export.from_ is not None
        to: dict[str, Any]
        if target.table is not None:
            assert target.connection is not None
            to = {
                "table": target.table,
                "url": self.connection_url(prepared, target.connection),
                "if_exists": target.if_exists.value,
                "key": list(target.key),
            }
        else:
            assert target.file is not None
            to = {"file": str(prepared.resolve(target.file, "to.file"))}
        return {"from": str(prepared.resolve(export.from_, "from")), "to": to}

    def known_datasets(
        self, step: StepSpec, declared: dict[str, Any], attempt: AttemptContext
    ) -> Iterator[tuple[str, str]]:
        """The file it reads, and the table or file it writes."""
        export, root = step.export, attempt.named_paths.root
        if export is None or export.from_ is None or export.to.notify:
            return
        render = partial(render_value, context=attempt.expressions)
        yield "inputs", file_dataset(attempt.named_paths.resolve(str(render(export.from_))), root)
        target = export.to
        if target.table is not None and target.connection is not None:
            label = _connection_label(target.connection, attempt)
            yield "outputs", table_dataset(label, str(render(target.table)))
        elif target.file is not None:
            yield (
                "outputs",
                file_dataset(attempt.named_paths.resolve(str(render(target.file))), root),
            )

    def message(self, prepared: PreparedStep) -> dict[str, Any]:
        """A message to channels: subject, text and attachments rendered (files inside the
        root), and where each channel is (the child process sends)."""
        export, attempt = prepared.step.export, prepared.attempt
        assert export is not None
        attach = [str(prepared.resolve(named, "attach")) for named in export.attach]
        channels = attempt.access.connections.channels
        step = prepared.step.name
        run = attempt.run_id
        return {
            "notify": [
                {
                    "channel": t.channel,
                    "url": channels.url(t.channel),
                    "to": list(t.to),
                    "secret": channels.secret(t.channel),
                    "delivery_id": hashlib.sha256(f"{run}/{step}/{t.channel}".encode()).hexdigest()[
                        :32
                    ],
                }
                for t in export.to.notify
            ],
            "pagerduty_url": channels.pagerduty_url,
            "dedup_key": f"jupyter-orch/{prepared.step.name}",
            "subject": prepared.render(export.to.subject or f"[jupyter-orch] {step}"),
            "message": prepared.render(export.message or ""),
            "attach": attach,
            "outbox": str(attempt.run_dir / "outbox"),
            "data": {"run_id": run, "step": step},
        }

    def summary(self, outputs: dict[str, Any], upstream: list[dict[str, Any]]) -> str:
        if outputs.get("sent_to"):
            return f" (sent to {', '.join(map(str, outputs['sent_to']))})"
        count = outputs.get("records_count")
        if not isinstance(count, int):
            return super().summary(outputs, upstream)
        if "table" in outputs:
            return f" ({count} {outputs.get('action', 'inserted')} into {outputs['table']})"
        return f" ({count} records written to {Path(str(outputs.get('path'))).name})"
