"""The mapping file (TOML): which source file feeds which Meridian entity, column by column, how its
values map onto Meridian's vocabularies, and how its dates, numbers and currency are to be read where
the values do not say. docs/mapping-example.toml is a complete, commented example; docs/import.md
the reference.
"""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from dashboard.i18n import N_
from dashboard.importer.countries import is_code
from dashboard.importer.fields import ENTITIES, Kind
from dashboard.importer.files import SourceTable
from dashboard.importer.parsing import DATE_ORDERS, DECIMAL_SEPARATORS, currency_code
from dashboard.importer.report import Problem
from dashboard.importer.vocabularies import VOCABULARIES


@dataclass(frozen=True)
class Options:
    """How to read what the values leave open. A source's own options win over the file's, and the
    command line's over both."""

    currency: str | None = None
    date_order: str | None = None
    date_format: str | None = None
    decimal: str | None = None
    encoding: str | None = None

    def over(self, base: Options) -> Options:
        return Options(**{k: getattr(self, k) or getattr(base, k) for k in self.__dataclass_fields__})


@dataclass(frozen=True)
class SourceMapping:
    """One source table read as one entity: `columns` maps a Meridian field to the source columns that
    fill it (several are joined with a space), `constants` gives a field one value for every row,
    `values` maps source values to Meridian's."""

    file: str
    entity: str
    columns: Mapping[str, tuple[str, ...]]
    # The preset's name, or the mapping file's.
    read_by: str
    by_preset: bool = False
    sheet: str | None = None
    constants: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    options: Options = Options()

    def matches(self, table: SourceTable) -> bool:
        if self.sheet is not None and self.sheet != table.sheet:
            return False
        return fnmatch.fnmatch(table.file_name.casefold(), self.file.casefold())

    def with_options(self, base: Options) -> SourceMapping:
        return replace(self, options=self.options.over(base))


@dataclass(frozen=True)
class MappingFile:
    name: str
    sources: tuple[SourceMapping, ...] = ()
    countries: Mapping[str, str] = field(default_factory=dict)
    ignore: tuple[str, ...] = ()
    options: Options = Options()

    def ignores(self, table: SourceTable) -> bool:
        return any(fnmatch.fnmatch(table.file_name.casefold(), pattern.casefold()) for pattern in self.ignore)


EMPTY = MappingFile("")
SOURCE_KEYS = {"file", "sheet", "entity", "columns", "constants", "values", *Options.__dataclass_fields__}
TOP_KEYS = {"source", "countries", "ignore", "options"}


def load(path: Path) -> tuple[MappingFile, list[Problem]]:
    name = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return EMPTY, [Problem(name, N_("The mapping file cannot be read: {error}."), {"error": str(exc)})]
    except tomllib.TOMLDecodeError as exc:
        return EMPTY, [Problem(name, N_("The mapping file is not valid TOML: {error}."), {"error": str(exc)})]
    return parse(name, data)


def parse(name: str, data: Mapping[str, object]) -> tuple[MappingFile, list[Problem]]:
    problems: list[Problem] = []

    def problem(why: str, **values: object) -> None:
        problems.append(Problem(name, why, values))

    for key in set(data) - TOP_KEYS:
        problem(N_("Unknown setting {key}: use source, countries, ignore or options."), key=key)
    options = _options(data.get("options", {}), "options", problem)
    countries = {str(k): str(v) for k, v in dict(data.get("countries", {})).items()}  # type: ignore[call-overload]
    for value, code in countries.items():
        if not is_code(code):
            problem(N_("[countries] maps {value} to {code}, which is not an ISO 3166 alpha-2 code."),
                    value=value, code=code)
    sources = []
    for index, raw in enumerate(list(data.get("source", [])), start=1):  # type: ignore[call-overload]
        source = _source(name, index, raw, problem)
        if source is not None:
            sources.append(source)
    ignore = tuple(str(p) for p in data.get("ignore", []))  # type: ignore[attr-defined]
    return MappingFile(name, tuple(sources), countries, ignore, options), problems


def _options(raw: object, where: str, problem) -> Options:  # type: ignore[no-untyped-def]
    values = {k: str(v) for k, v in dict(raw).items() if k in Options.__dataclass_fields__}  # type: ignore[call-overload]
    if values.get("date_order") and values["date_order"] not in DATE_ORDERS:
        problem(N_("{where}: date_order must be day-first or month-first, not {value}."),
                where=where, value=values["date_order"])
    if values.get("decimal") and values["decimal"] not in DECIMAL_SEPARATORS:
        problem(N_("{where}: decimal must be \".\" or \",\", not {value}."), where=where, value=values["decimal"])
    if values.get("currency"):
        code = currency_code(values["currency"])
        if code is None:
            problem(N_("{where}: {value} is not an ISO 4217 currency code."), where=where, value=values["currency"])
        values["currency"] = code or values["currency"]
    return Options(**values)


def _source(name: str, index: int, raw: Mapping[str, object], problem) -> SourceMapping | None:  # type: ignore[no-untyped-def]
    where = f"[[source]] {index}"
    for key in set(raw) - SOURCE_KEYS:
        problem(N_("{where}: unknown setting {key}."), where=where, key=key)
    entity_name, file = str(raw.get("entity", "")), str(raw.get("file", ""))
    if not file:
        problem(N_("{where}: say which file it reads with file = \"name.csv\"."), where=where)
    entity = ENTITIES.get(entity_name)
    if entity is None:
        problem(N_("{where}: entity {entity} is not one of {entities}."), where=where, entity=entity_name,
                entities=", ".join(ENTITIES))
        return None
    where = f"{where} ({file} -> {entity_name})"
    columns: dict[str, tuple[str, ...]] = {}
    for field_name, spec in dict(raw.get("columns", {})).items():  # type: ignore[call-overload]
        if entity.field(field_name) is None:
            problem(N_("{where}: {entity} has no field {field}; its fields are {fields}."), where=where,
                    entity=entity_name, field=field_name, fields=", ".join(f.name for f in entity.fields))
            continue
        columns[field_name] = (str(spec),) if isinstance(spec, str) else tuple(str(c) for c in spec)
    constants = {str(k): str(v) for k, v in dict(raw.get("constants", {})).items()}  # type: ignore[call-overload]
    values: dict[str, dict[str, str]] = {}
    for field_name, table in dict(raw.get("values", {})).items():  # type: ignore[call-overload]
        target = entity.field(field_name)
        if target is None:
            problem(N_("{where}: {entity} has no field {field}; its fields are {fields}."), where=where,
                    entity=entity_name, field=field_name, fields=", ".join(f.name for f in entity.fields))
            continue
        values[field_name] = {str(k): str(v) for k, v in dict(table).items()}
        if target.kind is Kind.VOCABULARY and target.vocabulary:
            allowed = VOCABULARIES[target.vocabulary].values
            for source_value, meridian in values[field_name].items():
                if meridian and meridian not in allowed:
                    problem(N_("{where}: {field} value {value} maps to {target}, which is not one of {allowed} "
                               "(or \"\" for empty)."), where=where, field=field_name, value=source_value,
                            target=meridian, allowed=", ".join(allowed))
    for field_name in set(constants) - set(columns):
        if entity.field(field_name) is None:
            problem(N_("{where}: {entity} has no field {field}; its fields are {fields}."), where=where,
                    entity=entity_name, field=field_name, fields=", ".join(f.name for f in entity.fields))
    options = _options(raw, where, problem)
    sheet = str(raw["sheet"]) if "sheet" in raw else None
    return SourceMapping(file, entity_name, columns, name, False, sheet, constants, values, options)
