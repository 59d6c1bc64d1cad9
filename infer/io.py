"""Atomic output files: written beside the target and renamed into place, so a crash or a user
error never leaves a partial output behind."""
from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

STDIO = "-"  # --input - / --output -: standard input or output


ON_INTERRUPT = ("Ctrl-C or SIGTERM stops it with nothing half-written (outputs appear only when complete); "
                "the temporary files of a run killed outright (kill -9, power loss) are removed by the next run "
                "that writes the same output")


class OutputError(ValueError):
    """An output that cannot be written where the user asked: a read-only or missing location, a
    file where a folder must be, a folder of shards that is not ours."""


def check_writable(path: str | Path) -> None:
    """An OutputError now, before any work, when `path` could not be written: a temporary file is
    made and removed in its folder (or, when that folder does not exist yet, in its nearest existing
    parent, so nothing is created by the check)."""
    if str(path) == STDIO:
        return
    folder = Path(path).absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        if not folder.is_dir():
            raise NotADirectoryError(f"{folder} is not a folder")
        fd, tmp = tempfile.mkstemp(prefix=temp_prefix(Path(path)), suffix=".tmp", dir=folder)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc


def refuse_overwriting(output: str | Path, inputs: Iterable[str | Path], reads: tuple[str, ...] = ()) -> None:
    """An OutputError when writing `output` would destroy or pollute an input: it is one of `inputs`,
    or it lies inside an input folder with a suffix in `reads` (what reading that folder again would
    take as input). Then check_writable, so a place nothing can be written fails now too, before any
    work. The commands that write one output file (infer, records, evaluate, the corpus commands; the
    Ray shards folder) share this guard; fit and view write folders they replace and check those themselves."""
    if str(output) == STDIO:
        return
    target = Path(output).resolve()
    for name in inputs:
        if str(name) == STDIO:
            continue
        source = Path(name).resolve()
        if target == source or (source.is_dir() and source in target.parents and target.suffix.lower() in reads):
            raise OutputError(f"{output} would overwrite the input {name}; write to another file")
    check_writable(output)


def temp_prefix(path: Path) -> str:
    """`.NAME.PID.`: the hidden prefix of this process's temporary siblings of `path`."""
    return f".{path.name}.{os.getpid()}."


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(path: Path) -> None:
    """Delete the temporary siblings of `path` (files or staging folders) left by processes that no
    longer run: a run killed with SIGKILL cannot clean up after itself, the next one does."""
    prefix = f".{path.name}."
    for old in path.parent.glob(glob.escape(prefix) + "*"):
        pid = old.name[len(prefix):].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            if old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
            else:
                old.unlink(missing_ok=True)


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit (status 143) so that `finally` and atomic_writer clean up, as on Ctrl-C."""
    def stop(signum, frame):  # noqa: ARG001
        raise SystemExit(128 + signum)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)


def usual_mode(path: str | Path, base: int = 0o666) -> None:
    """Give `path` the mode open()/mkdir would have (`base` less the umask): mkstemp, mkdtemp and
    safetensors make files private, and outputs are meant to be shared."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, base & ~umask)


@contextmanager
def atomic_writer(path: str | Path, newline: str | None = None) -> Iterator[IO[str]]:
    """Open a temporary file next to `path`; it replaces `path` only if the block succeeds. A device
    or a pipe (`--output /dev/null`, /dev/stdout, a FIFO) is written in place: renaming a file over it
    would replace /dev/null itself with a regular file when run as root."""
    path = Path(path)
    if path.exists() and not path.is_file() and not path.is_dir():
        with open(path, "w", encoding="utf-8", newline=newline) as handle:
            yield handle
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(path)
        fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".tmp", dir=path.parent)
    except OSError as exc:  # a read-only or vanished location: the user's to fix, not a traceback
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as handle:
            yield handle
        usual_mode(tmp)
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
