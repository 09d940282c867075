"""Artifacts: the files a run's steps write. Which attempt wrote which file (``ledger``), how a
file of a run is opened for the lab without leaving the run (``files``), and the first rows of
a CSV or Parquet file, read within bounds (``previews``, Parquet in a child process)."""
