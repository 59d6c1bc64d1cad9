"""The Python API: `Pipeline.load(model_dir)`, `nlp(text)`, `nlp.pipe(texts)`.

A document goes through once: `prepare` normalises it and splits its paragraphs, the tagger
encodes and tags it (keeping the encoder states when the relation head reads them), the relation
extractor reads its paragraphs, and the records are built from it. The CLI, the Ray workers,
Label Studio pre-annotation and the benchmarks all call this object, so they cannot drift apart.

    from infer import Pipeline
    nlp = Pipeline.load("models/default")
    doc = nlp("聊城市有色金属产业链链长李长萍调研信发集团。")
    doc.entities, doc.relations, doc.records, doc.to_dict()
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from infer.documents import Doc, prepare
from infer.inputs import Document
from infer.tagger import Tagger
from infer.records import build_records
from infer.relations import RelationExtractor
from infer.tagging import chunked


class Pipeline:
    """A trained model folder ready to turn texts into documents with entities, relations and records."""

    def __init__(self, tagger: Tagger, extractor: RelationExtractor) -> None:
        self.tagger, self.extractor = tagger, extractor

    @classmethod
    def load(cls, model_dir: str | Path, device: str | None = None, batch_size: int = 32,
             quantize: str | None = None) -> Pipeline:
        """The model folder's tagger and the relation combination saved with it (rules without one).
        `batch_size` is windows per forward pass; `quantize="int8"` for dynamic int8 on CPU."""
        tagger = Tagger(model_dir, device=device, batch_size=batch_size, quantize=quantize)
        return cls(tagger, RelationExtractor.load(model_dir, tagger.schema))

    def __call__(self, text: str, doc_id: str = "0") -> Doc:
        [doc] = self.run([Document(doc_id, text)])
        return doc

    def pipe(self, texts: Iterable[str | Document], batch_size: int = 256) -> Iterator[Doc]:
        """Documents in input order, `batch_size` at a time (the tagger batches the windows of those
        documents together; memory does not grow with the input). A plain string gets its index as id."""
        documents = (item if isinstance(item, Document) else Document(str(n), item) for n, item in enumerate(texts))
        for chunk in chunked(documents, batch_size):
            yield from self.run(chunk)

    def run(self, documents: list[Document]) -> list[Doc]:
        """One chunk through every step, in order; the chunk is what both engines cut the same way."""
        docs = self.tagger.tag([prepare(d.id, d.text) for d in documents], with_states=self.extractor.needs_states)
        for doc, relations in zip(docs, self.extractor.relations(docs)):
            doc.relations = relations
            doc.records = build_records(doc, self.tagger.schema)
            doc.states = None  # read by the relation head only; a document handed out stays small
        return docs
