"""Reporting's sub-commands of the ``xuncha`` command line (entry point group ``xuncha.cli``)."""
