"""The reporting service's routes under ``/api/v1``, one module per feature."""
