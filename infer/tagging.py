"""Documents -> output rows, one chunk at a time: the step every engine runs.

`python -m infer` (one process) and `python -m infer --engine ray` (one chunk per Ray Data row,
written as one shard) both cut the documents into the same chunks and call `tag_chunk` on each.
Cutting at the same places matters: the tagger batches the windows of a chunk together, and the
padding of a batch is the only thing that could change a score in its last digit, so equal chunks
make the two engines' outputs identical document by document.
"""
from __future__ import annotations

import glob
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from infer.inputs import Document, InputError, read_documents, read_stdin
from infer.io import STDIO, output_stream, refuse_overwriting
from infer.records import record_csvs

if TYPE_CHECKING:
    from infer.pipeline import Pipeline


def chunked(docs: Iterable[Document], size: int) -> Iterator[list[Document]]:
    """Consecutive chunks of `size` documents (the last may be shorter), in input order."""
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, got {size}")
    chunk: list[Document] = []
    for doc in docs:
        chunk.append(doc)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def tag_chunk(pipeline: Pipeline, docs: list[Document]) -> list[dict]:
    """The output row of each document (entities, relations with scores, records), in order."""
    return [doc.to_dict() for doc in pipeline.run(docs)]


def write_tagged(pipeline: Pipeline, spec: str | Path, output: str | Path, docs_per_chunk: int = 256,
                 progress: Callable[[int], object] | None = None, csv_dir: str | Path | None = None) -> int:
    """Tag the documents of `spec` into the JSONL `output` (written atomically; `-`: standard output),
    one chunk at a time so memory does not grow with the input, and with `csv_dir` the record CSVs
    too; `progress` hears each chunk's size. Returns the number of documents."""
    n = 0
    with ExitStack() as stack:
        out = stack.enter_context(output_stream(output))
        add_records = stack.enter_context(record_csvs(Path(csv_dir))) if csv_dir is not None else None
        for chunk in chunked(read_inputs(spec), docs_per_chunk):
            for row in tag_chunk(pipeline, chunk):
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                if add_records is not None:
                    add_records(row)
            n += len(chunk)
            if progress is not None:
                progress(len(chunk))
    return n


def count_documents(spec: str | Path) -> int | None:
    """How many documents `spec` holds, after reading every one of them once, so that a bad line
    fails before a model is loaded or anything is tagged (the documents are not kept: JSONL is
    streamed); None for standard input, which can be read only once."""
    if str(spec) == STDIO:
        return None
    return sum(1 for _ in read_inputs(spec))  # the same checks as the run, ids unique across files included


def input_files(spec: str | Path) -> list[Path]:
    """The files or folders `spec` names: itself, or what its glob matches (sorted)."""
    path = Path(spec)
    files = [path] if path.exists() or not glob.has_magic(str(spec)) else sorted(Path(p) for p in glob.glob(str(spec)))
    if not files:
        raise InputError(f"{spec}: the pattern matches no file or folder")
    return files


def refuse_overwriting_input(spec: str | Path, output: str | Path) -> None:
    """`python -m infer`'s guard (infer.io.refuse_overwriting): `output` may not be an input file, the
    input folder, or a .txt inside it (read as input next time), nor a folder or a place nothing can be written."""
    if STDIO in (str(spec), str(output)):
        return
    if Path(output).is_dir():
        raise InputError(f"--output {output} is a folder; give the path of the file to write")
    refuse_overwriting(output, input_files(spec), reads=(".txt",))


def read_inputs(spec: str | Path) -> Iterator[Document]:
    """Documents of `spec`: whatever infer.inputs.read_documents reads (a .txt, a folder of .txt,
    a JSONL file), or a glob of such files (`archive/*.jsonl`) read in sorted order. Ids must be
    unique across the files too, because outputs are joined back to inputs by id. `-`: JSONL on
    standard input."""
    if str(spec) == STDIO:
        yield from read_stdin()
        return
    files = input_files(spec)
    seen: set[str] = set()
    for file in files:
        for doc in read_documents(file):
            if len(files) > 1:
                if doc.id in seen:
                    raise InputError(f"{file}: document id {doc.id!r} also occurs in an earlier file; ids must be unique")
                seen.add(doc.id)
            yield doc
