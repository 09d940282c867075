"""Step kinds: what turns one step of a pipeline into a task for the executor.

``base.py`` holds the interface (a template method, as papermill's ``Engine``), one module per
kind implements it, and ``registry.py`` maps kind names to them for the run coordinator.
"""
