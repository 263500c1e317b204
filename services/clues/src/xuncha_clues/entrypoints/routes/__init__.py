"""The clues service's clue routes under ``/api/v1/clues``, one module per feature."""
