"""Datasets: the tables and files each step reads and writes (lineage), named stably."""
