"""Atomic output files: written beside the target and renamed into place, so a crash or a user
error never leaves a partial output behind."""
from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

STDIO = "-"  # --input - / --output -: standard input or output


@contextmanager
def atomic_writer(path: str | Path, newline: str | None = None) -> Iterator[IO[str]]:
    """Open a temporary file next to `path`; it replaces `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as handle:
            yield handle
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; give the output the usual mode
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


@contextmanager
def output_stream(path: str | Path) -> Iterator[IO[str]]:
    """`-`: standard output (a pipe, read as it is written); any other path: atomic_writer(path)."""
    if str(path) == STDIO:
        yield sys.stdout
        sys.stdout.flush()
    else:
        with atomic_writer(path) as handle:
            yield handle


def write_json(path: str | Path, data: object) -> None:
    with atomic_writer(path) as handle:
        handle.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
