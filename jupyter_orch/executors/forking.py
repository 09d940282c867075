"""Launch ipykernel kernels by forking them from a template (see ``kernel_template``).

Plugged into jupyter_client as a kernel provisioner: ``ForkingKernelSpecManager`` names it in
the specs of ipykernel kernels, and ``ForkProvisioner`` asks the template of the kernelspec's
Python for a fork instead of starting a new interpreter. Anything else (another language, a
template that cannot start) launches the usual way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import threading
from typing import Any, ClassVar

import psutil
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.provisioning import LocalProvisioner

PROVISIONER_NAME = "jupyter-orch-forking"


class KernelTemplate:
    """One template process for one Python executable."""

    def __init__(self, python: str) -> None:
        self.python = python
        self.process = subprocess.Popen(
            [python, "-m", "jupyter_orch.executors.kernel_template"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        self._lock = threading.Lock()
        self._ready = False

    def fork(self, argv: list[str], env: dict[str, str], cwd: str | None) -> int:
        """A new kernel process; raises ``OSError`` if the template cannot serve."""
        assert self.process.stdin is not None and self.process.stdout is not None
        with self._lock:
            if not self._ready:
                line = self.process.stdout.readline()
                if not line:
                    raise OSError("the kernel template exited")
                self._ready = True
            self.process.stdin.write(json.dumps({"argv": argv, "env": env, "cwd": cwd}) + "\n")
            self.process.stdin.flush()
            line = self.process.stdout.readline()
        if not line:
            raise OSError("the kernel template exited")
        return int(json.loads(line)["pid"])

    def close(self) -> None:
        """End of input: the template kills every kernel it forked, then exits."""
        with contextlib.suppress(Exception):
            assert self.process.stdin is not None
            self.process.stdin.close()
        try:
            self.process.wait(2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(1)


class ForkedProcess:
    """Enough of ``subprocess.Popen`` for LocalProvisioner, for a kernel we did not spawn."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                if psutil.Process(self.pid).status() == psutil.STATUS_ZOMBIE:
                    self.returncode = -signal.SIGKILL
            except psutil.NoSuchProcess:
                self.returncode = -signal.SIGKILL  # reaped by the template; the code is gone
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        while self.poll() is None:
            psutil.Process(self.pid).wait(timeout)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ForkProvisioner(LocalProvisioner):
    """LocalProvisioner whose ipykernel launches are forks of a template."""

    templates: ClassVar[dict[str, KernelTemplate]] = {}

    @classmethod
    def close_templates(cls) -> None:
        for template in cls.templates.values():
            template.close()
        cls.templates.clear()

    @classmethod
    def template_for(cls, python: str) -> KernelTemplate:
        template = cls.templates.get(python)
        if template is None or template.process.poll() is not None:
            template = cls.templates[python] = KernelTemplate(python)
        return template

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        if not _is_ipykernel(cmd):
            return await super().launch_kernel(cmd, **kwargs)
        env = dict(kwargs.get("env") or os.environ)
        cwd = kwargs.get("cwd")
        try:
            template = self.template_for(cmd[0])
            # The template is the interpreter and ipykernel_launcher: pass what follows them.
            pid = await asyncio.to_thread(template.fork, cmd[3:], env, str(cwd) if cwd else None)
        except (OSError, ValueError):
            return await super().launch_kernel(cmd, **kwargs)
        self.process = ForkedProcess(pid)  # type: ignore[assignment]
        self.pid = pid
        self.pgid = pid  # the child called setsid()
        return self.connection_info


def _is_ipykernel(cmd: list[str]) -> bool:
    return len(cmd) >= 3 and cmd[1:3] == ["-m", "ipykernel_launcher"] and os.path.isabs(cmd[0])


class ForkingKernelSpecManager(KernelSpecManager):
    """Kernelspecs as installed, with ipykernel ones launched by ``ForkProvisioner``."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        spec = super().get_kernel_spec(kernel_name)
        if _is_ipykernel(_resolved_argv(spec.argv)) and "kernel_provisioner" not in spec.metadata:
            spec.metadata = {
                **spec.metadata,
                "kernel_provisioner": {"provisioner_name": PROVISIONER_NAME},
            }
        return spec


def _resolved_argv(argv: list[str]) -> list[str]:
    if argv and not os.path.isabs(argv[0]):
        import shutil
        import sys

        found = sys.executable if argv[0] in ("python", "python3") else shutil.which(argv[0])
        return [found or argv[0], *argv[1:]]
    return argv
