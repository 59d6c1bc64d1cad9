"""`python -m infer`: batch-tag documents into JSONL; `python -m infer records`: spans -> records."""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

from infer.inputs import InputError, read_documents
from infer.io import atomic_writer
from infer.predict import ModelError
from infer.records import RecordError, document_output, read_span_documents, write_csvs

PREDICT_HELP = """Tag Chinese industrial-chain reports and write one JSON line per document:
{"id", "entities": [{"id","start","end","label","text","score"}], "relations": [{"from","to","type","score"}],
 "records": {...}}. Offsets are Python character offsets into the original text.
Run `python -m infer records --help` to build records from spans without a model."""


def batched(items: Iterable, size: int) -> Iterator[list]:
    """Consecutive lists of `size` items (the last may be shorter), pulled lazily from `items`."""
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return number


def predict_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m infer", description=PREDICT_HELP,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="models/default", help="trained model folder (default: models/default)")
    parser.add_argument("--input", required=True,
                        help='a .txt file, a folder of .txt files, or JSONL with {"id", "text"} per line')
    parser.add_argument("--output", required=True, help="output JSONL (written atomically)")
    parser.add_argument("--batch-size", type=positive_int, default=32, help="windows per forward pass (default 32)")
    parser.add_argument("--docs-per-chunk", type=positive_int, default=256,
                        help="documents read and tagged together; bounds memory on large inputs (default 256)")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1 … (default: cuda when present)")
    parser.add_argument("--quantize", choices=["int8"], default=None,
                        help="dynamic int8 quantization of Linear layers (CPU; faster, F1 may move: see bench.speed)")
    parser.add_argument("--threads", type=positive_int, default=None,
                        help="torch CPU threads (default: torch's choice, one per core; on a machine busy with "
                        "other work 1 is often faster)")
    args = parser.parse_args(argv)

    import torch
    from tqdm import tqdm

    from infer.predict import Tagger

    if args.threads:
        torch.set_num_threads(args.threads)

    try:
        tagger = Tagger(args.model, device=args.device, batch_size=args.batch_size, quantize=args.quantize)
        docs = read_documents(args.input)
        n = 0
        with atomic_writer(args.output) as out, tqdm(desc="documents", unit="doc", file=sys.stderr) as bar:
            # Stream: only one chunk of documents is ever held, so memory does not grow with the input.
            for chunk in batched(docs, args.docs_per_chunk):
                for d, ents in zip(chunk, tagger.predict([d.text for d in chunk])):
                    out.write(json.dumps(document_output(d.id, d.text, ents), ensure_ascii=False) + "\n")
                n += len(chunk)
                bar.update(len(chunk))
    except (InputError, ModelError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {n} documents to {args.output}", file=sys.stderr)
    return 0


def records_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infer records",
        description='Build records from spans: each input line {"id","text","entities":[{"id","start","end","label"}],'
        '"relations":[{"from","to","type"}]} (the model output shape). Relations come from the rules when a '
        "document has none.",
    )
    parser.add_argument("--input", required=True, help="spans JSONL")
    parser.add_argument("--output", required=True, help="records JSONL (written atomically)")
    parser.add_argument("--csv", default=None, help="also write one UTF-8 (with BOM) CSV per record type here")
    args = parser.parse_args(argv)
    try:
        outputs = [document_output(doc_id, text, ents, rels) for doc_id, text, ents, rels in
                   read_span_documents(Path(args.input))]
    except (InputError, RecordError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with atomic_writer(args.output) as out:
        for row in outputs:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    if args.csv:
        write_csvs(outputs, Path(args.csv))
    print(f"wrote records of {len(outputs)} documents to {args.output}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["records"]:
        return records_main(argv[1:])
    return predict_main(argv)


if __name__ == "__main__":
    sys.exit(main())
