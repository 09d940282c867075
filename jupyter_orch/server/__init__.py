"""The Jupyter Server extension: REST API, webhooks, and the scheduler in the server's loop."""
