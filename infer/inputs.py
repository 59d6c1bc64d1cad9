"""Reading documents to tag: a .txt file, a folder of .txt files, or JSONL `{"id", "text"}`.

Every problem a user can cause (a missing path, a non-UTF-8 file, an empty document, a JSONL
line without text or with a non-string id) is an InputError naming the file and line. Offsets are
defined on the file's exact characters: text is read as UTF-8 without newline translation, and a
BOM is not part of the text. JSONL is read lazily, so an error can
come mid-way; outputs are written atomically, so none is ever left half-written.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path


class InputError(ValueError):
    """Bad input; the message names the file/document and what to do."""


@dataclass(frozen=True)
class Document:
    id: str
    text: str


def _read_text(path: Path) -> str:
    """The file's exact characters: UTF-8 without newline translation (a CRLF file keeps its \r, so
    offsets agree with what any other reader of the file sees); a leading BOM is not part of the text."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 (byte {exc.start}); convert it, e.g. `iconv -f GB18030 -t UTF-8`") from exc
    return text[1:] if text.startswith("\ufeff") else text


def _check(doc: Document, where: str) -> Document:
    if not doc.text.strip():
        raise InputError(f"{where}: document {doc.id!r} is empty or whitespace only; remove it from the input")
    return doc


def _jsonl(path: Path) -> Iterator[Document]:
    """One document per line, read lazily: a file of any size is never held in memory whole.
    (Lines end at \\n only, so a raw U+2028 inside a JSON string does not split a record.)"""
    with path.open("rb") as handle:
        yield from _jsonl_lines(str(path), handle)


def _jsonl_lines(path: str, lines: Iterable[bytes]) -> Iterator[Document]:
    seen: set[str] = set()
    for n, raw in enumerate(lines, 1):
        doc = _jsonl_line(path, n, raw, seen)
        if doc is not None:
            yield doc


def read_stdin() -> Iterator[Document]:
    """JSONL documents from standard input (`--input -`), read lazily like a JSONL file."""
    yield from _jsonl_lines("<stdin>", sys.stdin.buffer)


def _jsonl_line(path: str, n: int, raw: bytes, seen: set[str]) -> Document | None:
    """The document on line `n` (None for a blank line); `seen` collects ids to refuse duplicates."""
    where = f"{path}:{n}"
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{where}: not UTF-8 (byte {exc.start}); convert it, e.g. `iconv -f GB18030 -t UTF-8`") from exc
    if n == 1 and line.startswith("\ufeff"):
        line = line[1:]  # a BOM is not part of the text
    if not line.strip():
        return None
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: not a JSON object ({exc.msg})") from exc
    if not isinstance(row, dict) or not isinstance(row.get("text"), str):
        raise InputError(f'{where}: each line needs {{"id": ..., "text": "..."}}')
    doc_id = row.get("id", str(n))
    if not isinstance(doc_id, str) or not doc_id:
        raise InputError(f'{where}: "id" must be a non-empty string, not {doc_id!r} (ids are kept exactly as given)')
    for name, value in (("id", doc_id), ("text", row["text"])):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InputError(f"{where}: the {name} holds a lone surrogate (\\u{ord(value[exc.start]):04x} at "
                             f"character {exc.start}), which is no character; fix the escape") from exc
    if doc_id in seen:
        raise InputError(f"{where}: duplicate id {doc_id!r}; ids must be unique")
    seen.add(doc_id)
    return _check(Document(doc_id, row["text"]), where)


def read_documents(path: str | Path) -> Iterator[Document]:
    """Documents under `path` in a stable order (folders: sorted file names; ids: file stems)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.txt"))
        if not files:
            raise InputError(f"{path}: folder has no .txt files")
        for f in files:
            yield _check(Document(f.stem, _read_text(f)), str(f))
    elif path.is_file():
        if path.suffix.lower() in (".jsonl", ".json"):
            yield from _jsonl(path)
        else:
            yield _check(Document(path.stem, _read_text(path)), str(path))
    else:
        raise InputError(f"{path}: no such file or folder")
