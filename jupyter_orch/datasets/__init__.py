"""Lineage: the datasets each step reads and writes, named stably across pipelines."""
