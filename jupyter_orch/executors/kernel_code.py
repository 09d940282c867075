"""Code of ours a warm kernel runs before each step (see ``WarmKernel.prepare``): what keeps
the step's processes below the kernel, scrubs its environment and caps what it prints."""

from __future__ import annotations

from .base import ENV_PREFIX, NotebookTask

#: Kernel code making the kernel a child subreaper (Linux): what its step starts stays below
#: it even when double-forked, to be killed with it. Forked kernels are one from the start;
#: this covers kernels launched the usual way too.
SUBREAPER_CODE = (
    "import ctypes as _orch_c, sys as _orch_s\n"
    "if _orch_s.platform.startswith('linux'):\n"
    "    try:\n"
    "        _orch_c.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER\n"
    "    except (OSError, AttributeError):\n"
    "        pass\n"
    "del _orch_c, _orch_s"
)


def scrub_code(task: NotebookTask) -> str:
    """Kernel code removing what the step must not see from its environment (so from every
    process it starts): the hidden names, and our own variables but those the task sets."""
    return (
        "for _orch_k in [k for k in _orch_os.environ if k in "
        f"{sorted(task.hidden_env)!r} or (k.startswith({ENV_PREFIX!r}) "
        f"and k not in {sorted(task.env)!r})]:\n"
        "    del _orch_os.environ[_orch_k]"
    )


#: Kernel code capping what each cell prints at the source: a flood never builds up in the
#: kernel nor crosses to the worker. The cap is an output's (``Task.output_cap_bytes``, counted
#: here in characters, for stdout and stderr together, less room for the marker); the worker
#: cuts any kernel's output again at exactly that many bytes per stream. IPython puts its own
#: ``write`` on the streams for each cell and takes it off after, so ours goes on top of it at
#: each cell's start (``pre_execute``); output of the kernel's subprocesses, which ipykernel
#: writes through the same streams, counts too. At the cell's end (``post_execute``) a marker
#: says how many characters were not kept.
CAP_CODE = """
def _orch_cap(limit, rule):
    import sys
    shell = get_ipython()
    for event, handler in getattr(shell, '_orch_cap', ()):  # a reused kernel: a new attempt
        shell.events.unregister(event, handler)
    state = [limit, 0]  # characters the cell may still print, characters dropped
    def inner(write):
        while hasattr(write, '_orch_inner'):  # ours, left by an earlier cell: not twice
            write = write._orch_inner
        return write
    def wrap(write):
        write = inner(write)
        def capped_write(text, *args, **kwargs):
            if not isinstance(text, str) or len(text) <= state[0]:
                if isinstance(text, str):
                    state[0] -= len(text)
                return write(text, *args, **kwargs)
            if state[0] > 0:
                write(text[: state[0]])
            state[1] += len(text) - state[0]
            state[0] = 0
            return len(text)
        capped_write._orch_inner = write
        return capped_write
    def install():
        state[0], state[1] = limit, 0
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.write = wrap(stream.write)
            except (AttributeError, TypeError):
                pass
    def report(*args):
        if state[1]:
            dropped, state[1] = state[1], 0
            inner(sys.stdout.write)(
                "\\n[output truncated: %d more characters printed by this cell not kept; %s]\\n"
                % (dropped, rule)
            )
            sys.stdout.flush()
    handlers = [('pre_execute', install), ('post_execute', report)]
    for event, handler in handlers:
        shell.events.register(event, handler)
    shell._orch_cap = handlers
_orch_cap({cap}, {rule!r}); del _orch_cap
"""
