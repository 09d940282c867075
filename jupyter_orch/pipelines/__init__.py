"""Pipeline files: loading and validating a pipeline's YAML into its spec, the notebooks its steps
name (their kernels and parameters cells), and the one-step pipeline behind "Schedule this
notebook"."""
