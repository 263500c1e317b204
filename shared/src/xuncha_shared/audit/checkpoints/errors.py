"""The errors of checkpoints: a malformed document, an unloadable signing key."""

from __future__ import annotations


class CheckpointFormatError(ValueError):
    """A checkpoint document that is not well-formed."""


class SigningKeyError(RuntimeError):
    """A signing key that cannot be loaded."""
