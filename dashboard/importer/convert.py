"""Source rows into Meridian rows: each mapped column read as its field's kind (dates and numbers in
their detected format, countries, currencies, vocabularies), every unreadable or missing required
value reported with its row, and the rules that hold for an entity whatever its source:

- an opportunity whose stage is won or lost is closed with that outcome; a close date is kept only
  for closed deals (for an open deal it is an expected date, not an event);
- a customer's head count, when the source has no size band, gives its size band;
- an amount's currency is its row's currency column, else the currency the amount itself names
  ("€ 1 234"), else the file's stated currency; an amount with none of these is a problem.

References to other records stay source text here; `link` resolves them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import polars as pl

from dashboard.i18n import N_
from dashboard.importer import countries as country_names
from dashboard.importer.fields import ENTITIES, Entity, Field, Kind
from dashboard.importer.files import SourceTable
from dashboard.importer.mapping import SourceMapping
from dashboard.importer.parsing import (
    DateEvidence,
    NumberEvidence,
    ambiguous_symbol,
    currency_code,
    currency_in_values,
    date_evidence,
    decide_date_format,
    decide_decimal,
    number_evidence,
    parse_datetimes,
    parse_numbers,
)
from dashboard.importer.report import CountryFinding, FormatFound, Note, Problem, SourceSummary, Unmapped
from dashboard.importer.vocabularies import CLOSED, VOCABULARIES, size_band, spelling

ROW = "_row"
KEY = "_key"
REF = "ref:"
DATE_KINDS = (Kind.DATETIME, Kind.DATE, Kind.MONTH)
NUMBER_KINDS = (Kind.MONEY, Kind.NUMBER, Kind.INTEGER)
MONEY_DECIMALS = 2
RATE_DECIMALS = 8


@dataclass
class Converted:
    """One source table as rows of one entity: `frame` has the spreadsheet row (ROW), the source id
    (KEY), the store columns the source fills and, for each reference, its source text (REF + field)."""

    entity: Entity
    mapping: SourceMapping
    table: SourceTable
    frame: pl.DataFrame
    summary: SourceSummary
    problems: list[Problem] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)
    countries: dict[str, CountryFinding] = field(default_factory=dict)


class _Reader:
    """Reads one source table as one entity, collecting problems as it goes."""

    def __init__(self, table: SourceTable, mapping: SourceMapping, confirmed_countries: dict[str, str]) -> None:
        self.table = table
        self.mapping = mapping
        self.entity = ENTITIES[mapping.entity]
        self.confirmed_countries = confirmed_countries
        self.name = table.name
        self.problems: list[Problem] = []
        self.unmapped: list[Unmapped] = []
        self.notes: list[Note] = []
        self.countries: dict[str, CountryFinding] = {}
        self.summary = SourceSummary(table.name, mapping.entity, mapping.read_by, mapping.by_preset,
                                     table.frame.height)
        # Rows that lack a required value, by spreadsheet row.
        self.incomplete: set[int] = set()

    def problem(self, why: str, values: dict[str, object] | None = None, row: int | None = None,
                column: str | None = None, value: str | None = None) -> None:
        self.problems.append(Problem(self.name, why, values or {}, row, column, value))

    def column_label(self, f: Field) -> str:
        if f.name in self.mapping.columns:
            return " + ".join(self.mapping.columns[f.name])
        return f"= {self.mapping.constants[f.name]!r}"

    def texts(self) -> dict[str, pl.Series]:
        """Each mapped field's source text: its columns joined, or its constant."""
        frame = self.table.frame
        texts: dict[str, pl.Series] = {}
        for f in self.entity.fields:
            if f.name in self.mapping.columns:
                columns = self.mapping.columns[f.name]
                missing = [c for c in columns if c not in frame.columns]
                if missing:
                    self.problem(N_("The mapping reads column {column} for {field}, but the file has no such "
                                    "column. Its columns are: {columns}."),
                                 {"column": missing[0], "field": f.name, "columns": ", ".join(frame.columns)},
                                 column=missing[0])
                    continue
                joined = frame.select(pl.concat_str([pl.col(c) for c in columns], separator=" ",
                                                     ignore_nulls=True).alias(f.name)).to_series()
                texts[f.name] = pl.select(pl.when(joined.str.len_chars() > 0).then(joined)).to_series()
            elif f.name in self.mapping.constants:
                texts[f.name] = pl.Series(f.name, [self.mapping.constants[f.name]] * frame.height, dtype=pl.String)
            else:
                continue
            own = self.mapping.values.get(f.name)
            if own and f.kind is not Kind.VOCABULARY:
                seen = set(texts[f.name].drop_nulls())
                self.summary.values[f.name] = {k: v for k, v in sorted(own.items()) if k in seen}
                texts[f.name] = texts[f.name].replace(own)
            self.summary.columns.append((f.name, self.column_label(f)))
        return texts

    def unreadable(self, f: Field, text: pl.Series, parsed: pl.Series, why: str, values: dict[str, object]) -> None:
        bad = text.is_not_null() & parsed.is_null()
        for row, value in zip(self.table.rows.filter(bad), text.filter(bad), strict=True):
            self.problem(why, values, row, self.column_label(f), value)

    def read(self) -> Converted:
        texts = self.texts()
        entity = self.entity
        file_dates = [(self.column_label(f), date_evidence(texts[f.name])) for f in entity.fields
                      if f.name in texts and f.kind in DATE_KINDS]
        file_numbers = [(self.column_label(f), number_evidence(texts[f.name])) for f in entity.fields
                        if f.name in texts and f.kind in NUMBER_KINDS]
        out: dict[str, pl.Series] = {ROW: self.table.rows}
        for f in entity.fields:
            if f.name not in texts or f.kind is Kind.ID:
                continue
            value = self.field_value(f, texts[f.name], file_dates, file_numbers, out)
            if value is None:
                continue
            if f.kind is Kind.REFERENCE:
                out[REF + f.name] = value
            elif f.column is not None:
                out[f.column] = value if f.column not in out else pl.select(
                    pl.coalesce(out[f.column], value)).to_series()
            else:
                out[f.name] = value
        self.required(texts, out)
        frame = self.rules(pl.DataFrame({name: series.alias(name) for name, series in out.items()}), texts)
        frame = frame.with_columns(pl.Series(KEY, list(self.keys(texts)), dtype=pl.String))
        return Converted(entity, self.mapping, self.table, frame, self.summary, self.problems, self.notes,
                         self.unmapped, self.countries)

    def field_value(self, f: Field, text: pl.Series,
                    file_dates: list[tuple[str, DateEvidence]], file_numbers: list[tuple[str, NumberEvidence]],
                    out: dict[str, pl.Series]) -> pl.Series | None:
        options = self.mapping.options
        label = self.column_label(f)
        if f.kind is Kind.TEXT:
            limit = self.entity.max_length(f)
            if limit:
                too_long = text.str.len_chars() > limit
                for row, value in zip(self.table.rows.filter(too_long), text.filter(too_long), strict=True):
                    self.problem(N_("The value is longer than the {limit} characters Meridian keeps for {field}."),
                                 {"limit": limit, "field": f.name}, row, label, value)
            return text
        if f.kind in DATE_KINDS:
            fmt, why = decide_date_format(label, text, file_dates, options.date_order, options.date_format)
            if fmt is None:
                assert why is not None
                self.problem(why[0], why[1], column=label)
                return None
            self.summary.formats.append(FormatFound(label, fmt.pattern, fmt.why, fmt.values))
            parsed = parse_datetimes(text, fmt)
            self.unreadable(f, text, parsed, N_("Not a date in the column's format ({format})."),
                            {"format": fmt.pattern})
            if f.kind is Kind.DATE:
                return parsed.dt.date()
            if f.kind is Kind.MONTH:
                return parsed.dt.truncate("1mo").dt.date()
            # Kept to the second: MariaDB's DATETIME drops fractions, and a re-import must compare equal.
            return parsed.dt.truncate("1s")
        if f.kind in NUMBER_KINDS:
            number, why = decide_decimal(label, text, file_numbers, options.decimal, self.table.excel,
                                         whole=f.kind is Kind.INTEGER)
            if number is None:
                assert why is not None
                self.problem(why[0], why[1], column=label)
                return None
            if text.drop_nulls().str.contains(r"[.,]").any():
                self.summary.formats.append(FormatFound(label, number.pattern, number.why, number.values))
            parsed = parse_numbers(text, number.decimal)
            self.unreadable(f, text, parsed, N_("Not a number."), {})
            if f.kind is Kind.INTEGER:
                fractional = parsed.is_not_null() & (parsed != parsed.round(0))
                for row, value in zip(self.table.rows.filter(fractional), text.filter(fractional), strict=True):
                    self.problem(N_("Not a whole number."), {}, row, label, value)
                return parsed.round(0).cast(pl.Int64, strict=False)
            if f.kind is Kind.MONEY:
                # The currency an amount names itself ("€ 1 234"); `currencies` weighs it with the others.
                out["_currency_in_value"] = currency_in_values(text)
                return parsed.round(MONEY_DECIMALS)
            return parsed.round(RATE_DECIMALS)
        if f.kind is Kind.BOOLEAN:
            flags = self.vocabulary(f, text, "boolean")
            return pl.select(pl.when(flags.is_not_null()).then((flags == "true") != f.inverted)).to_series()
        if f.kind is Kind.COUNTRY:
            return self.country(f, text)
        if f.kind is Kind.CURRENCY:
            codes = {v: currency_code(v) for v in text.drop_nulls().unique()}
            for source_value, code in codes.items():
                if code is None:
                    rows = self.table.rows.filter(text == source_value)
                    for row in rows:
                        self.problem(N_("Not an ISO 4217 currency code or currency name."), {}, row, label,
                                     source_value)
            return text.replace_strict(codes, default=None, return_dtype=pl.String)
        if f.kind is Kind.VOCABULARY:
            assert f.vocabulary is not None
            return self.vocabulary(f, text, f.vocabulary)
        if f.kind is Kind.REFERENCE:
            # A multi-valued association ("123;456") refers to its first record.
            return text.str.split(";").list.first().str.strip_chars()
        return text

    def vocabulary(self, f: Field, text: pl.Series, name: str) -> pl.Series:
        lookup = VOCABULARIES[name].lookup(self.mapping.values.get(f.name, {}))
        seen = text.drop_nulls().value_counts(sort=True)
        used: dict[str, str] = {}
        for value, rows in seen.iter_rows():
            meridian = lookup.get(spelling(value))
            if meridian is None:
                self.unmapped.append(Unmapped(self.name, f.name, self.column_label(f), value, rows))
            else:
                used[value] = meridian
        if used:
            self.summary.values[f.name] = dict(sorted(used.items()))
        mapped = text.replace_strict(used, default=None, return_dtype=pl.String)
        return pl.select(pl.when(mapped != "").then(mapped)).to_series()

    def country(self, f: Field, text: pl.Series) -> pl.Series:
        matches = country_names.resolve(text.drop_nulls().unique().to_list(), self.confirmed_countries)
        for value, found in matches.items():
            if found.code is None:
                rows = int((text == value).sum())
                codes = " or ".join(code for code, _ in found.proposals) or None
                names = " or ".join(name for _, name in found.proposals) or None
                self.countries[value] = CountryFinding(value, rows, codes, names)
        return text.replace_strict({v: m.code for v, m in matches.items()}, default=None, return_dtype=pl.String)

    def required(self, texts: dict[str, pl.Series], out: dict[str, pl.Series]) -> None:
        """Every required field has a column, and a value in every row."""
        for f in self.entity.fields:
            # A missing customer goes to Unassigned, a customer's missing creation date is its first
            # activity: both are decided in link, where all sources are known.
            if not self.entity.required(f) or f.kind is Kind.REFERENCE or (
                    self.entity.name == "customers" and f.name == "created_at"):
                continue
            if f.name not in texts:
                if f.column is not None and f.column in out:
                    continue
                self.problem(N_("{entity} need {field}, and the mapping gives no column for it."),
                             {"entity": self.entity.name, "field": f.name})
                continue
            missing = texts[f.name].is_null()
            for row in self.table.rows.filter(missing):
                self.incomplete.add(row)
                self.problem(N_("{field} is required and empty."), {"field": f.name}, row, self.column_label(f))

    def rules(self, frame: pl.DataFrame, texts: dict[str, pl.Series]) -> pl.DataFrame:
        entity = self.entity.name
        if entity == "opportunities" and "stage" in frame.columns:
            won_or_lost = pl.col("stage").is_in(["won", "lost"])
            outcome = pl.col("outcome") if "outcome" in frame.columns else pl.lit(None, pl.String)
            frame = frame.with_columns(
                outcome=pl.coalesce(outcome, pl.when(won_or_lost).then(pl.col("stage"))),
            ).with_columns(stage=pl.when(won_or_lost | pl.col("outcome").is_not_null()).then(pl.lit(CLOSED))
                           .otherwise(pl.col("stage")))
        elif entity == "opportunities" and "outcome" in frame.columns:
            frame = frame.with_columns(stage=pl.when(pl.col("outcome").is_not_null()).then(pl.lit(CLOSED)))
        if entity == "opportunities" and "closed_at" in frame.columns:
            closed = (pl.col("stage") == CLOSED) if "stage" in frame.columns else pl.lit(False)
            open_dated = frame.filter(~closed.fill_null(False) & pl.col("closed_at").is_not_null()).height
            if open_dated:
                self.notes.append(Note(self.name, N_("{n} close dates of open deals left out: for an open deal "
                                                     "it is an expected date."), {"n": open_dated}))
                frame = frame.with_columns(closed_at=pl.when(closed.fill_null(False)).then(pl.col("closed_at")))
        if entity == "customers" and "employees" in frame.columns:
            bands = frame["employees"].map_elements(size_band, return_dtype=pl.String)
            frame = frame.with_columns(size_band=pl.coalesce(pl.col("size_band"), bands)
                                       if "size_band" in frame.columns else bands).drop("employees")
        if "amount" in frame.columns:
            frame = self.currencies(frame, texts)
        return frame.drop("_currency_in_value", strict=False)

    def currencies(self, frame: pl.DataFrame, texts: dict[str, pl.Series]) -> pl.DataFrame:
        stated = self.mapping.options.currency
        own = pl.col("currency") if "currency" in frame.columns else pl.lit(None, pl.String)
        frame = frame.with_columns(currency=pl.coalesce(own, pl.col("_currency_in_value"),
                                                        pl.lit(stated, pl.String)))
        without = frame.filter(pl.col("amount").is_not_null() & pl.col("currency").is_null())
        if without.height:
            symbol = ambiguous_symbol(texts["amount"])
            why = (N_("{n} amounts have no currency ({symbol} stands for several): add the currency column to "
                      "the mapping, or state the file's currency with --currency or currency = \"EUR\".")
                   if symbol else
                   N_("{n} amounts have no currency: add the currency column to the mapping, or state the "
                      "file's currency with --currency or currency = \"EUR\"."))
            self.problem(why, {"n": without.height, "symbol": symbol or ""}, int(without[ROW][0]),
                         self.column_label(self.entity.field("amount")))  # type: ignore[arg-type]
        return frame

    def keys(self, texts: dict[str, pl.Series]) -> Iterator[str | None]:
        """Each row's source id: its id column, else its natural key (a name), else a digest of its content
        (identical rows get an occurrence number, so two equal orders stay two)."""
        if "id" in texts:
            yield from texts["id"]
            return
        natural = self.entity.natural_key
        if natural and natural in texts:
            yield from texts[natural]
            return
        names = sorted(texts)
        seen: dict[str, int] = {}
        for values in zip(*(texts[n] for n in names), strict=True):
            digest = hashlib.sha256("\x1f".join("" if v is None else v for v in values).encode()).hexdigest()[:20]
            seen[digest] = seen.get(digest, 0) + 1
            yield digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"


def convert(table: SourceTable, mapping: SourceMapping, confirmed_countries: dict[str, str],
            skip_incomplete: bool) -> Converted:
    reader = _Reader(table, mapping, confirmed_countries)
    converted = reader.read()
    if skip_incomplete and reader.incomplete:
        required_problem = {N_("{field} is required and empty.")}
        converted.problems = [p for p in converted.problems if p.why not in required_problem]
        converted.frame = converted.frame.filter(~pl.col(ROW).is_in(sorted(reader.incomplete)))
        converted.notes.append(Note(table.name, N_("{n} rows lacking a required value left out (--skip-incomplete)."),
                                    {"n": len(reader.incomplete)}))
    converted.problems += duplicates(converted)
    if not converted.problems:
        converted.frame = converted.frame.unique(subset=[c for c in converted.frame.columns if c != ROW],
                                                 keep="first", maintain_order=True)
    return converted


def duplicates(converted: Converted) -> list[Problem]:
    """Rows that share a source id but not their values: which one is right cannot be told."""
    frame = converted.frame
    if "id" not in converted.mapping.columns and converted.entity.natural_key not in converted.mapping.columns:
        return []
    values = [c for c in frame.columns if c not in (ROW,)]
    distinct = frame.unique(subset=values, keep="first", maintain_order=True).filter(pl.col(KEY).is_not_null())
    clashing = distinct.filter(pl.len().over(KEY) > 1)
    problems = []
    id_column = " + ".join(converted.mapping.columns.get("id") or
                           converted.mapping.columns[converted.entity.natural_key or "name"])
    for key, group in clashing.group_by(KEY, maintain_order=True):
        rows = group[ROW].to_list()
        for row in rows[1:]:
            problems.append(Problem(converted.table.name, N_("The id {id} is also on row {first}, with other values: "
                                                             "keep one of the rows."),
                                    {"id": key[0], "first": rows[0]}, row, id_column, str(key[0])))
    return problems


def country_findings(converted: list[Converted]) -> list[CountryFinding]:
    merged: dict[str, CountryFinding] = {}
    for c in converted:
        for value, finding in c.countries.items():
            previous = merged.get(value)
            merged[value] = finding if previous is None else CountryFinding(
                value, previous.rows + finding.rows, finding.proposal, finding.proposal_name)
    return sorted(merged.values(), key=lambda f: (-f.rows, f.value))

