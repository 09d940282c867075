"""What users send, read with bounds: files a pipeline names (confined to the root folder,
regular files only), YAML and JSON bodies, parameter values, and templates (a sandbox with a
budget). Anything here refuses clearly instead of evaluating without limits."""
