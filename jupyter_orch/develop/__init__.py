"""Developing and testing steps: test runs (``jupyter orch test``, the ``orch_step`` pytest
fixture) and the inputs a step had in a run (``jupyter_orch.use_step`` in a notebook)."""
