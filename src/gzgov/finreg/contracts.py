"""Data contracts (数据口径) of institution submissions, from data/finreg/datasets.yaml: the datasets each
institution type submits, their fields with types and units, and a published JSON Schema per dataset and type
(`gzgov finreg contract DATASET --kind KIND`). Pure: no database."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from gzgov.config import get_settings

TYPES = {"string", "integer", "decimal", "date", "boolean", "enum"}
CONTRACT_VERSION = "2026.2"  # raised whenever datasets.yaml changes a submitted field


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    unit: str
    required: bool
    zh: str
    en: str
    values: tuple[str, ...] = ()
    institution_types: tuple[str, ...] = ()  # () = every type the dataset is for
    derived: bool = False

    def applies_to(self, kind: str) -> bool:
        return not self.institution_types or kind in self.institution_types


@dataclass(frozen=True)
class Dataset:
    name: str
    grain: str  # institution | period | record
    institution_types: tuple[str, ...]
    zh: str
    en: str
    fields: tuple[Field, ...]

    def for_kind(self, kind: str) -> bool:
        return "all" in self.institution_types or kind in self.institution_types

    def submitted_fields(self, kind: str) -> list[Field]:
        """The fields an institution of `kind` submits (derived ones are filled in by the engine)."""
        return [f for f in self.fields if f.applies_to(kind) and not f.derived]

    @property
    def key(self) -> tuple[str, ...]:
        """The fields that identify one record within a submission (none for a statement)."""
        if self.grain != "record":
            return ()
        if self.name in RECORD_KEYS:
            return RECORD_KEYS[self.name]
        own = [f.name for f in self.fields if f.name not in ("institution_code", "period")]
        return tuple(n for n in own[:1] if n.endswith("_id"))


# Records identified by more than their first *_id field.
RECORD_KEYS = {"venue_holdings": ("product_id", "holder_id")}


def _field(name: str, spec: dict) -> Field:
    if spec.get("type") not in TYPES:
        raise ValueError(f"field {name}: unknown type {spec.get('type')!r}")
    return Field(name, spec["type"], spec.get("unit", "none"), bool(spec.get("required")), spec.get("zh", ""),
                 spec.get("en", ""), tuple(str(v) for v in spec.get("values", ())),
                 tuple(spec.get("institution_types", ())), bool(spec.get("derived")))


@lru_cache(maxsize=4)
def load_datasets(path: Path | None = None) -> dict[str, Dataset]:
    data = yaml.safe_load((path or get_settings().data_dir / "finreg" / "datasets.yaml").read_text(encoding="utf-8"))
    common = [_field(n, s) for n, s in data.get("common_record_fields", {}).items()]
    out = {}
    for name, spec in data["datasets"].items():
        fields = [_field(n, s) for n, s in spec["fields"].items()]
        if spec["grain"] in ("record", "period"):
            fields = [f for f in common if f.name not in spec["fields"]] + fields
        out[name] = Dataset(name, spec["grain"], tuple(spec["institution_types"]), spec.get("zh", ""),
                            spec.get("en", ""), tuple(fields))
    return out


_JSON = {"string": {"type": "string"}, "integer": {"type": "integer"},
         "decimal": {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"},
         "date": {"type": "string", "format": "date"}, "boolean": {"type": "boolean"}}


def json_schema(ds: Dataset, kind: str) -> dict:
    """The JSON Schema (2020-12) of one submitted record of `ds` for an institution of `kind`."""
    props, required = {}, []
    for f in ds.submitted_fields(kind):
        schema = {"type": "string", "enum": list(f.values)} if f.type == "enum" else dict(_JSON[f.type])
        schema |= {"title": f.zh, "description": f"{f.en} (unit: {f.unit})"}
        props[f.name] = schema
        if f.required:
            required.append(f.name)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"https://gzgov.example/finreg/contracts/{CONTRACT_VERSION}/{ds.name}/{kind}.json",
            "title": f"{ds.zh} / {ds.en}", "type": "object", "properties": props, "required": required,
            "additionalProperties": False}
