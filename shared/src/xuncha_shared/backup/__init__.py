"""Backup and restore of a deployment (``xuncha backup create DIR`` / ``restore DIR``).

- ``manifest``: the backup folder's manifest (files with SHA-256, store heads, versions);
- ``heads``: a store's heads read inside the snapshot that is dumped;
- ``pgtools``: ``pg_dump``/``pg_restore`` of Debian's PostgreSQL client;
- ``create`` / ``restore``: the two commands' work; ``consumer_groups``: rewinding the
  consumers after a restore.

See docs/operations.md.
"""
