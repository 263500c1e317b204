"""The manifest of a backup folder: ``manifest.json`` and its checksum ``manifest.sha256``.

``manifest.json`` lists every file of the backup with its size and SHA-256, each store's heads
(``heads.StoreHeads``), the versions of the tools and of the server, and when the backup was
taken. ``restore`` checks all of it before it touches anything (``verify_backup``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMAT = "xuncha-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MANIFEST_CHECKSUM = "manifest.sha256"
_CHUNK = 1024 * 1024


class BackupError(RuntimeError):
    """A backup cannot be made or used; the message says why."""


class ManifestError(BackupError):
    """The backup folder does not match its manifest (missing, changed or extra files)."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_entry(directory: Path, path: Path) -> dict[str, Any]:
    return {
        "path": path.relative_to(directory).as_posix(),
        "bytes": path.stat().st_size,
        "sha256": file_sha256(path),
    }


def write_manifest(directory: Path, manifest: dict[str, Any]) -> str:
    """Write ``manifest.json`` and ``manifest.sha256``; returns the manifest's SHA-256."""
    text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    data = text.encode("utf-8")
    (directory / MANIFEST).write_bytes(data)
    checksum = hashlib.sha256(data).hexdigest()
    (directory / MANIFEST_CHECKSUM).write_text(f"{checksum}  {MANIFEST}\n", "ascii")
    return checksum


@dataclass(frozen=True)
class LoadedManifest:
    document: dict[str, Any]
    sha256: str

    @property
    def stores(self) -> dict[str, Any]:
        stores: dict[str, Any] = self.document["stores"]
        return stores

    @property
    def created_at(self) -> str:
        return str(self.document["created_at"])


def verify_backup(directory: Path) -> LoadedManifest:
    """Read the manifest and check it against the folder: the manifest's own checksum, the
    format, every listed file's size and SHA-256, and no unlisted file. Raises
    ``ManifestError`` naming every difference; reads nothing but the folder."""
    manifest_path = directory / MANIFEST
    if not directory.is_dir():
        raise ManifestError(f"{directory} is not a folder")
    if not manifest_path.is_file():
        raise ManifestError(f"{manifest_path} is missing: not a backup folder")
    data = manifest_path.read_bytes()
    checksum = hashlib.sha256(data).hexdigest()
    checksum_path = directory / MANIFEST_CHECKSUM
    if not checksum_path.is_file():
        raise ManifestError(f"{checksum_path} is missing")
    stated = checksum_path.read_text("ascii").split()
    if not stated or stated[0] != checksum:
        raise ManifestError(f"{MANIFEST} does not match {MANIFEST_CHECKSUM} (changed?)")
    try:
        document = json.loads(data)
    except ValueError as exc:
        raise ManifestError(f"{MANIFEST} is not JSON: {exc}") from None
    if document.get("format") != FORMAT:
        raise ManifestError(f"{MANIFEST} is not a {FORMAT} manifest")
    if document.get("format_version") != FORMAT_VERSION:
        raise ManifestError(
            f"backup format version {document.get('format_version')} is not supported "
            f"(this xuncha reads version {FORMAT_VERSION})"
        )
    problems: list[str] = []
    listed: set[str] = set()
    for entry in document.get("files", []):
        rel = str(entry["path"])
        listed.add(rel)
        path = directory / rel
        if not path.is_file():
            problems.append(f"{rel}: missing")
        elif path.stat().st_size != entry["bytes"]:
            problems.append(
                f"{rel}: {path.stat().st_size} bytes, the manifest says {entry['bytes']}"
            )
        elif file_sha256(path) != entry["sha256"]:
            problems.append(f"{rel}: SHA-256 differs from the manifest")
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        rel = path.relative_to(directory).as_posix()
        if rel not in listed and rel not in (MANIFEST, MANIFEST_CHECKSUM):
            problems.append(f"{rel}: not in the manifest")
    for service, store in document.get("stores", {}).items():
        for key in ("dump", "streams"):
            if store.get(key) not in listed:
                problems.append(f"{service}: its {key} file is not listed")
    if problems:
        raise ManifestError("the backup does not match its manifest: " + "; ".join(problems))
    return LoadedManifest(document=document, sha256=checksum)
