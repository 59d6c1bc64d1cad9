"""The label schema (configs/schema.yaml) and everything derived from it.

One file drives the Label Studio labeling config, the BIO tag list, the model's
id2label, the validator, the relation rules and the records, so nothing can drift apart. The rules
and records do not know label names: each label and relation declares the role it plays (`role:`,
by default its name in lower case), and a schema without one of the roles they need is refused
when it is loaded, instead of records silently coming out empty.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

import yaml

DEFAULT_SCHEMA = Path(__file__).resolve().parent.parent / "configs" / "schema.yaml"
LABEL_ROLES = ("company", "metric", "chain", "official")
RELATION_ROLES = ("leads", "anchors", "member_of", "measures")


class SchemaError(ValueError):
    """A schema file that cannot drive the project."""


@dataclass(frozen=True)
class Label:
    name: str
    zh: str
    color: str
    role: str


@dataclass(frozen=True)
class RelationType:
    name: str
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    role: str


@dataclass(frozen=True)
class Schema:
    labels: tuple[Label, ...]
    relations: tuple[RelationType, ...]

    @property
    def label_names(self) -> list[str]:
        return [label.name for label in self.labels]

    @property
    def relation_names(self) -> list[str]:
        return [rel.name for rel in self.relations]

    @property
    def bio_tags(self) -> list[str]:
        """O first, then B-/I- per label in schema order (the model's id2label)."""
        tags = ["O"]
        for name in self.label_names:
            tags += [f"B-{name}", f"I-{name}"]
        return tags

    def label_for(self, role: str) -> str:
        """The name of the label that plays `role` (one of LABEL_ROLES; present, checked at load)."""
        return next(label.name for label in self.labels if label.role == role)

    def relation_for(self, role: str) -> str:
        """The name of the relation that plays `role` (one of RELATION_ROLES; present, checked at load)."""
        return next(rel.name for rel in self.relations if rel.role == role)

    def label_role(self, name: str) -> str:
        return next(label.role for label in self.labels if label.name == name)

    def relation(self, name: str) -> RelationType:
        for rel in self.relations:
            if rel.name == name:
                return rel
        raise KeyError(name)

    def allows(self, relation: str, source_label: str, target_label: str) -> bool:
        """True when the guide allows `relation` from a `source_label` span to a `target_label` span."""
        try:
            rel = self.relation(relation)
        except KeyError:
            return False
        return source_label in rel.sources and target_label in rel.targets

    def to_dict(self) -> dict:
        return {
            "labels": [{"name": l.name, "zh": l.zh, "color": l.color, "role": l.role} for l in self.labels],
            "relations": [
                {"name": r.name, "from": list(r.sources), "to": list(r.targets), "role": r.role} for r in self.relations
            ],
        }

    def labeling_config(self) -> str:
        """The Label Studio labeling config: symbol granularity keeps exact code-point offsets."""
        lines = ["<View>", '  <Relations>']
        lines += [f"    <Relation value={quoteattr(r.name)}/>" for r in self.relations]
        lines += ["  </Relations>", '  <Labels name="label" toName="text">']
        lines += [
            f"    <Label value={quoteattr(l.name)} alias={quoteattr(l.name)} hint={quoteattr(l.zh)} "
            f"background={quoteattr(l.color)}/>"
            for l in self.labels
        ]
        lines += ["  </Labels>", '  <Text name="text" value="$text" granularity="symbol"/>', "</View>"]
        return "\n".join(lines) + "\n"


def schema_from_dict(data: dict) -> Schema:
    try:
        labels = tuple(Label(str(d["name"]), str(d.get("zh", "")), str(d["color"]), str(d.get("role", d["name"])).lower())
                       for d in data["labels"])
        names = {l.name for l in labels}
        relations = tuple(
            RelationType(str(d["name"]), tuple(d["from"]), tuple(d["to"]), str(d.get("role", d["name"])).lower())
            for d in data["relations"]
        )
    except (KeyError, TypeError) as exc:
        raise SchemaError(f"schema is missing a field: {exc}") from exc
    if len(names) != len(labels):
        raise SchemaError("schema has duplicate label names")
    for rel in relations:
        unknown = (set(rel.sources) | set(rel.targets)) - names
        if unknown:
            raise SchemaError(f"relation {rel.name} names unknown labels {sorted(unknown)}")
    _check_roles("label", [l.role for l in labels], LABEL_ROLES)
    _check_roles("relation", [r.role for r in relations], RELATION_ROLES)
    return Schema(labels, relations)


def _check_roles(kind: str, declared: list[str], required: tuple[str, ...]) -> None:
    """A SchemaError unless each required role is played by exactly one entry."""
    missing = [role for role in required if role not in declared]
    twice = sorted({role for role in declared if role in required and declared.count(role) > 1})
    if missing or twice:
        problem = f"no {kind} has the role {', '.join(missing)}" if missing else f"several {kind}s have the role {', '.join(twice)}"
        raise SchemaError(f"schema: {problem}; the relation rules and the records need one {kind} for each of "
                          f"{', '.join(required)} (set `role:` on the {kind} that plays it)")


def load_schema(path: str | Path = DEFAULT_SCHEMA) -> Schema:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SchemaError(f"{path}: schema file not found") from exc
    return schema_from_dict(data)
