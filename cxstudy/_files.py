"""Writing folders whole: built beside their target, swapped in only when complete."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path


def staging_folder(target: Path, purpose: str = "building") -> Path:
    """A new, empty hidden folder beside ``target`` to build its replacement in."""
    target.parent.mkdir(parents=True, exist_ok=True)
    folder = target.with_name(f".{target.name}.{purpose}-{uuid.uuid4().hex[:8]}")
    folder.mkdir()
    return folder


def replace_folder(new: Path, target: Path) -> None:
    """Put ``new`` where ``target`` is, with the old folder gone only afterwards."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
        os.replace(target, old)
    os.replace(new, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def display_names(paths: dict[str, Path]) -> dict[str, str]:
    """Key -> how messages and pages name a file: its name, or, where two files share a
    name (the same export of two waves), its path from the folder they share."""
    names = {key: path.name for key, path in paths.items()}
    if len(set(names.values())) < len(names):
        common = Path(os.path.commonpath([str(path.parent) for path in paths.values()]))
        names = {key: str(path.relative_to(common)) for key, path in paths.items()}
    return names
