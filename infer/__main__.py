"""`python -m infer`: batch-tag documents into JSONL; `python -m infer records`: spans -> records;
`python -m infer view`: tagged documents -> HTML pages to read them by."""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

from infer.cli import ArgumentParser, positive_int
from infer.inputs import InputError
from infer.io import ON_INTERRUPT, STDIO, OutputError, check_writable, exit_on_sigterm, output_stream, refuse_overwriting
from infer.model_folder import SHIPPED_MODEL, ModelError
from infer.records import RecordError, read_span_documents, write_csvs
from infer.relations import RelationModelError
from infer.schema import DEFAULT_SCHEMA, SchemaError, load_schema
from infer.tagging import read_inputs

PREDICT_HELP_TEMPLATE = """Tag Chinese industrial-chain reports and write one JSON line per document:
{"id", "entities": [{"id","start","end","label","text","score"}], "relations": [{"from","to","type","score"}],
 "records": {...}}. Offsets are Python character offsets into the original text.
Run `python -m infer records --help` to build records from spans without a model, and
`python -m infer view --help` to read the output as HTML pages beside its text.
Interrupting: {interrupt}.

--engine ray runs the same tagging on a Ray cluster (local by default) and writes OUTPUT as a folder
of JSONL shards plus manifest.json; re-running skips the shards already written. Needs the extra:
pip install -e ".[ray]"."""
PREDICT_HELP = PREDICT_HELP_TEMPLATE.replace("{interrupt}", ON_INTERRUPT)
TEXTS_HELP = ("the documents the input was tagged from (what `python -m infer --input` read), joined by id to lines "
              'without "text" (default: none, every line has its text)')
RAY_ONLY = ("num_workers", "cpus_per_worker", "gpus_per_worker", "ray_address")


def predict_parser() -> ArgumentParser:
    """`python -m infer`'s options (tests check that every one shows its default)."""
    parser = ArgumentParser(prog="python -m infer", description=PREDICT_HELP)
    parser.add_argument("--model", default=SHIPPED_MODEL, help="model folder (default: %(default)s, the shipped tagger; "
                        "models/default after `python -m train main`)")
    parser.add_argument("--input", required=True,
                        help='a .txt file, a folder of .txt files, JSONL with {"id", "text"} per line, '
                        "a quoted glob of those ('archive/*.jsonl'), or - for JSONL on standard input. Offsets count "
                        "the file's exact characters: UTF-8 read without newline translation (CRLF stays two "
                        "characters); a leading BOM is not part of the text (required)")
    parser.add_argument("--output", required=True,
                        help="output JSONL, written atomically, or - for standard output (with --engine ray: a "
                        "folder of shards + manifest.json) (required)")
    parser.add_argument("--csv", default=None, metavar="DIR",
                        help="also write the records as one UTF-8 (with BOM) CSV per record type in DIR (default: none)")
    parser.add_argument("--batch-size", type=positive_int, default=32, help="windows per forward pass (default 32)")
    parser.add_argument("--docs-per-chunk", type=positive_int, default=256,
                        help="documents read and tagged together; bounds memory on large inputs (default 256)")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1 … (default: cuda when present)")
    parser.add_argument("--quantize", choices=["int8"], default=None,
                        help="dynamic int8 quantization of Linear/LSTM layers (CPU; faster, F1 may move: see "
                        "bench.speed) (default: none, float32)")
    parser.add_argument("--threads", type=positive_int, default=None,
                        help="torch CPU threads (default: torch's choice, one per core; on a machine busy with "
                        "other work 1 is often faster)")
    parser.add_argument("--engine", choices=["local", "ray"], default="local",
                        help="local: this process (default); ray: Ray Data workers, one shard per chunk")
    ray_opts = parser.add_argument_group("--engine ray")
    ray_opts.add_argument("--num-workers", type=int, default=None, help="workers, each loads the model once (default 1)")
    ray_opts.add_argument("--cpus-per-worker", type=int, default=None, help="CPU threads per worker (default 1)")
    ray_opts.add_argument("--gpus-per-worker", type=float, default=None,
                          help="GPUs per worker (default 0); > 0 runs the workers on CUDA (0.5: two share a GPU)")
    ray_opts.add_argument("--ray-address", default=None,
                          help="an existing Ray cluster (e.g. auto); default: a private one on 127.0.0.1")
    return parser


def predict_main(argv: list[str]) -> int:
    parser = predict_parser()
    args = parser.parse_args(argv)
    if args.docs_per_chunk < 1 or args.batch_size < 1:
        parser.error("--docs-per-chunk and --batch-size must be at least 1")
    if args.engine == "ray":
        return _ray_main(parser, args)
    ray_only = [f"--{name.replace('_', '-')}" for name in RAY_ONLY if getattr(args, name) is not None]
    if ray_only:
        parser.error(f"{', '.join(ray_only)}: need --engine ray")

    import torch
    from tqdm import tqdm

    from infer.pipeline import Pipeline
    from infer.tagging import count_documents, refuse_overwriting_input, write_tagged

    if args.threads:
        torch.set_num_threads(args.threads)

    try:
        refuse_overwriting_input(args.input, args.output)
        if args.csv:
            check_writable(Path(args.csv) / "companies.csv")
        total = count_documents(args.input)  # every document read and checked before the model loads
        pipeline = Pipeline.load(args.model, device=args.device, batch_size=args.batch_size, quantize=args.quantize)
        with tqdm(desc="documents", unit="doc", total=total, file=sys.stderr) as bar:
            n = write_tagged(pipeline, args.input, args.output, args.docs_per_chunk, bar.update, args.csv)
    except (InputError, ModelError, RelationModelError, OutputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {n} documents to {'standard output' if args.output == STDIO else args.output}"
          + (f", record CSVs to {args.csv}" if args.csv else ""), file=sys.stderr)
    return 0


def _ray_main(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """`--engine ray`: the same chunks and `tag_chunk`, run by Ray Data workers (infer/ray_engine.py)."""
    if args.device:
        parser.error("--device does not apply with --engine ray; use --gpus-per-worker")
    if args.csv or STDIO in (args.input, args.output):
        parser.error("--engine ray reads files and writes a folder of shards: no --csv, no --input/--output -; "
                     "run `python -m infer records --texts INPUT` on the joined shards for CSVs")
    num_workers = 1 if args.num_workers is None else args.num_workers
    cpus = 1 if args.cpus_per_worker is None else args.cpus_per_worker
    gpus = 0.0 if args.gpus_per_worker is None else args.gpus_per_worker
    if num_workers < 1 or cpus < 1 or gpus < 0:
        parser.error("--num-workers and --cpus-per-worker must be at least 1, --gpus-per-worker at least 0")
    if importlib.util.find_spec("ray") is None:
        parser.error('--engine ray needs Ray Data, which is not installed; install the extra: pip install -e ".[ray]"')
    from infer import ray_engine
    from infer.tagging import input_files

    try:
        refuse_overwriting(args.output, input_files(args.input))
        summary = ray_engine.run(ray_engine.RayJob(
            model=args.model, input=args.input, output=args.output, docs_per_chunk=args.docs_per_chunk,
            batch_size=args.batch_size, quantize=args.quantize, num_workers=num_workers,
            cpus_per_worker=cpus, gpus_per_worker=gpus), address=args.ray_address)
    except (InputError, ModelError, OutputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {summary.documents} documents in {summary.shards} shards to {args.output} "
          f"({summary.skipped} shards already done, skipped)", file=sys.stderr)
    return 0


def records_parser() -> ArgumentParser:
    """`python -m infer records`' options."""
    parser = ArgumentParser(
        prog="python -m infer records",
        description='Build records from spans: each input line {"id","text","entities":[{"id","start","end","label"}],\n'
        '"relations":[{"from","to","type"}]}. The output of `python -m infer` has no "text": read it with\n'
        "--texts naming the documents it was tagged from. Relations come from the rules when a document has none.\n"
        f"Interrupting: {ON_INTERRUPT}.",
    )
    parser.add_argument("--input", required=True,
                        help="spans JSONL, or the output of `python -m infer`; - for standard input (required)")
    parser.add_argument("--texts", default=None, help=TEXTS_HELP)
    parser.add_argument("--output", required=True,
                        help="records JSONL, written atomically, or - for standard output (required)")
    parser.add_argument("--csv", default=None, metavar="DIR",
                        help="also write one UTF-8 (with BOM) CSV per record type in DIR (default: none)")
    parser.add_argument("--schema", default=str(DEFAULT_SCHEMA),
                        help="the label schema whose roles the rules and records read (default: %(default)s)")
    return parser


def records_main(argv: list[str]) -> int:
    parser = records_parser()
    args = parser.parse_args(argv)
    try:
        refuse_overwriting(args.output, [args.input, *([args.texts] if args.texts else [])])
        if args.csv:
            check_writable(Path(args.csv) / "companies.csv")
        texts = {d.id: d.text for d in read_inputs(args.texts)} if args.texts else None
        outputs = [doc.to_dict() for doc in read_span_documents(args.input, load_schema(args.schema), texts)]
        with output_stream(args.output) as out:
            for row in outputs:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        if args.csv:
            write_csvs(outputs, Path(args.csv))
    except (InputError, RecordError, SchemaError, OutputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote records of {len(outputs)} documents to {args.output}", file=sys.stderr)
    return 0


def view_parser() -> ArgumentParser:
    """`python -m infer view`'s options."""
    parser = ArgumentParser(
        prog="python -m infer view",
        description="Write one self-contained HTML page per document (no script, nothing loaded from outside) to\n"
        "read tagged output against its text: the spans highlighted in the schema's label colours (hover: label,\n"
        "score, entity id), the relations (from -> type -> to, score) and the records (companies, metrics,\n"
        "chains, officials) beside the text, every mention a link to its span; and OUTPUT/index.html listing\n"
        "the documents with their entity counts. Every entity's text must equal the document's text at its\n"
        "offsets (else: wrong --texts). The folder appears whole when every document was read and checked.\n"
        "Example:\n"
        "  python -m infer --model models/default --input reports/ --output tagged.jsonl\n"
        "  python -m infer view --input tagged.jsonl --texts reports/ --output view/   # open view/index.html\n"
        f"Interrupting: {ON_INTERRUPT}.",
    )
    parser.add_argument("--input", required=True,
                        help="the output of `python -m infer` (or of `python -m infer records`), shown as it is; or a "
                        'spans JSONL with "text" per line and no records, whose records are built as `python -m infer '
                        "records` builds them (relations from the rules when a line has none); - for standard input "
                        "(required)")
    parser.add_argument("--texts", default=None, help=TEXTS_HELP)
    parser.add_argument("--output", required=True,
                        help="the folder to write: new, empty, or a view written before, which is replaced (required)")
    parser.add_argument("--schema", default=str(DEFAULT_SCHEMA),
                        help="the label schema: label colours, and the labels and relations the input may hold "
                        "(default: %(default)s)")
    return parser


def view_main(argv: list[str]) -> int:
    from infer.view import check_output, read_pages, write_view

    parser = view_parser()
    args = parser.parse_args(argv)
    if args.output == STDIO:
        parser.error("--output is a folder of HTML pages, not standard output")
    try:
        check_output(args.output, [args.input] + ([args.texts] if args.texts else []))
        schema = load_schema(args.schema)
        texts = {d.id: d.text for d in read_inputs(args.texts)} if args.texts else None
        pages = read_pages(args.input, schema, texts)
        if not pages:
            raise InputError(f"{args.input}: no documents")
    except (InputError, RecordError, SchemaError, OutputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    write_view(pages, schema, args.output)
    print(f"wrote {len(pages)} pages and index.html to {args.output}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    exit_on_sigterm()
    if argv[:1] == ["records"]:
        return records_main(argv[1:])
    if argv[:1] == ["view"]:
        return view_main(argv[1:])
    return predict_main(argv)


if __name__ == "__main__":
    sys.exit(main())
