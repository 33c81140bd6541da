"""One import from files to store, shared by the command line and the admin page: read the exports,
find each one's mapping (the mapping file, else a preset), convert, link, and write in one
transaction, or with `dry_run` only report what would be written."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from dashboard.db import redact
from dashboard.i18n import N_
from dashboard.importer import mapping as mapping_file
from dashboard.importer import presets, store
from dashboard.importer.convert import Converted, convert, country_findings
from dashboard.importer.files import SourceTable, read_tables
from dashboard.importer.link import link
from dashboard.importer.mapping import MappingFile, Options, SourceMapping
from dashboard.importer.report import Counts, Note, Problem, Report
from dashboard.schema import TABLE_ORDER

PREVIEW_ROWS = 5
REFERENCE_TABLES = ("regions", "countries", "fx_rates")


@dataclass(frozen=True)
class Request:
    paths: list[Path]
    url: str
    mapping: Path | None = None
    # From the command line: they win over the mapping file's.
    options: Options = field(default_factory=Options)
    skip_incomplete: bool = False
    replace: bool = False
    dry_run: bool = False


def run(request: Request) -> Report:
    report = Report(redact(request.url), request.dry_run)
    mapping = mapping_file.EMPTY
    if request.mapping is not None:
        mapping, problems = mapping_file.load(request.mapping)
        report.problems += problems
    encoding = request.options.encoding or mapping.options.encoding
    tables, problems, notes = read_tables(request.paths, encoding)
    report.problems += problems
    report.notes += notes
    converted: list[Converted] = []
    for table, source in bind(tables, mapping, report):
        options = request.options.over(source.options.over(mapping.options))
        result = convert(table, source.with_options(options), dict(mapping.countries), request.skip_incomplete)
        converted.append(result)
        report.sources.append(result.summary)
        report.problems += result.problems
        report.notes += result.notes
        report.unmapped += result.unmapped
    report.countries = country_findings(converted)
    for summary in report.sources:
        used = {c for s in report.sources if s.file == summary.file for _, label in s.columns
                for c in label.split(" + ")}
        table = next(t for t in tables if t.name == summary.file)
        summary.skipped_columns = [c for c in table.frame.columns if c not in used]
    if not converted and not report.problems:
        report.problems.append(Problem("", N_("No export to import: name CSV or Excel files, or a folder of them.")))
    state = store.inspect_target(request.url, request.replace)
    report.action = store.REPLACE_ACTION if request.replace and state.kind is store.StoreKind.IMPORT \
        else store.ACTIONS[state.kind]
    if state.kind is store.StoreKind.FOREIGN:
        report.problems.append(Problem(report.target, store.ACTIONS[state.kind]))
    if report.problems:
        return report
    plan = link(converted, state, request.skip_incomplete)
    report.problems += plan.problems
    report.notes += plan.notes
    report.unmapped += plan.unmapped
    report.unassigned = plan.unassigned
    report.preview = preview(plan.batches)
    if report.problems:
        return report
    if request.dry_run:
        counts = store.predict(request.url, state, plan.batches)
    else:
        counts = store.write(request.url, state, plan.batches, plan.new_keys, plan.removals)
    for name, removed in plan.removals.items():
        counts.setdefault(name, Counts()).removed = len(removed)
    report.counts = {name: counts[name] for name in _order(counts)}
    for name, read in plan.read.items():
        report.counts.setdefault(name, Counts()).read = read
    return report


def bind(tables: list[SourceTable], mapping: MappingFile, report: Report) -> list[tuple[SourceTable, SourceMapping]]:
    """Each table with the mappings that read it: the mapping file's, else the preset its headers match."""
    bound: list[tuple[SourceTable, SourceMapping]] = []
    for table in tables:
        own = [s for s in mapping.sources if s.matches(table)]
        if own:
            bound += [(table, s) for s in own]
            continue
        if mapping.ignores(table):
            report.notes.append(Note(table.name, N_("Left out, as the mapping file says (ignore).")))
            continue
        preset, tied = presets.recognise(table)
        if preset is not None:
            bound.append((table, preset.bind(table)))
        elif tied:
            report.problems.append(Problem(table.name, N_("The headers fit several exports ({presets}): say which "
                                                          "entity it is in a mapping file."),
                                           {"presets": ", ".join(p.name for p in tied)}))
        else:
            report.problems.append(Problem(table.name, N_(
                "Not a recognised export (Salesforce, HubSpot, Zoho CRM, Dynamics 365) and not in the mapping file: "
                "map its columns in a mapping file (see docs/mapping-example.toml). Its columns are: {columns}."),
                {"columns": ", ".join(table.frame.columns)}))
    matched = {s.file for _, s in bound}
    for source in mapping.sources:
        if source.file not in matched:
            report.notes.append(Note(mapping.name, N_("No file given for {file} ({entity}): nothing imported for it."),
                                     {"file": source.file, "entity": source.entity}))
    return bound


def preview(batches: list[store.Batch]) -> dict[str, pl.DataFrame]:
    """The first rows of each table as Meridian will store them (from its largest source)."""
    shown: dict[str, pl.DataFrame] = {}
    for batch in sorted(batches, key=lambda b: -b.frame.height):
        if batch.table not in shown and batch.table not in REFERENCE_TABLES and not batch.frame.is_empty():
            shown[batch.table] = batch.frame.head(PREVIEW_ROWS)
    return {name: shown[name] for name in _order(shown)}


def _order(names: Iterable[str]) -> list[str]:
    return [n for n in TABLE_ORDER if n in names]
