"""Executors run step tasks outside the coordinating process."""
