"""What an import did or would do: counts per entity, the formats it detected, what it could not use,
and every problem that stops it. The dry run prints the same report as the import.

Messages are templates marked for translation: the command line prints them in English, the admin
page in the viewer's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from dashboard.i18n import Translate


def english(message: str, **values: object) -> str:
    return message.format(**values) if values else message


@dataclass(frozen=True)
class Problem:
    """Something that stops the import, with where it is: file, row (as a spreadsheet shows it, the
    header being row 1), column and value, and why."""

    file: str
    why: str
    values: Mapping[str, object] = field(default_factory=dict)
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def text(self, t: Translate = english) -> str:
        return t(self.why, **self.values)


@dataclass(frozen=True)
class Note:
    """Something the import did that the user should know about (a derived value, a rule applied)."""

    file: str | None
    what: str
    values: Mapping[str, object] = field(default_factory=dict)

    def text(self, t: Translate = english) -> str:
        return t(self.what, **self.values)


@dataclass(frozen=True)
class Unmapped:
    """Source values that are not in Meridian's vocabulary for a field: they are stored empty."""

    file: str
    field: str
    column: str
    value: str
    rows: int


@dataclass(frozen=True)
class CountryFinding:
    """A country as the source writes it that Meridian could not match for sure; stored empty."""

    value: str
    rows: int
    proposal: str | None
    proposal_name: str | None


@dataclass(frozen=True)
class FormatFound:
    """How a column's dates or numbers are read (`pattern`: "DD/MM/YYYY", "1.234,56") and why."""

    column: str
    pattern: str
    why: str = ""
    values: Mapping[str, object] = field(default_factory=dict)

    def text(self, t: Translate = english) -> str:
        return f"{self.pattern} ({t(self.why, **self.values)})" if self.why else self.pattern


@dataclass
class SourceSummary:
    """How one source table is read: the preset or mapping file that reads it, which column fills which
    field, the formats detected, the values mapped and the columns left out."""

    file: str
    entity: str
    # A preset's name ("Salesforce Accounts") or the mapping file's.
    read_by: str
    by_preset: bool
    rows: int
    columns: list[tuple[str, str]] = field(default_factory=list)
    formats: list[FormatFound] = field(default_factory=list)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    skipped_columns: list[str] = field(default_factory=list)


@dataclass
class Counts:
    read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0


@dataclass
class Report:
    target: str
    dry_run: bool
    action: str = ""
    sources: list[SourceSummary] = field(default_factory=list)
    counts: dict[str, Counts] = field(default_factory=dict)
    unassigned: dict[str, int] = field(default_factory=dict)
    countries: list[CountryFinding] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    preview: dict[str, pl.DataFrame] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self, preview_rows: int = 5, max_problems: int | None = None) -> str:
        """The report in English, for the command line."""
        lines = [f"{'Dry run: nothing written. ' if self.dry_run else ''}Target {self.target}: {self.action}"]
        for source in self.sources:
            read_by = f"{source.read_by} preset" if source.by_preset else f"mapping file {source.read_by}"
            lines += ["", f"{source.file} -> {source.entity} ({read_by}), {source.rows:,} rows"]
            lines += [f"  {name:<18} <- {column}" for name, column in source.columns]
            lines += [f"  format of {found.column}: {found.text()}" for found in source.formats]
            for name, mapped in source.values.items():
                pairs = ", ".join(f"{k!r} -> {v or '(empty)'}" for k, v in mapped.items())
                lines.append(f"  values of {name}: {pairs}")
            if source.skipped_columns:
                lines.append(f"  columns not used: {', '.join(source.skipped_columns)}")
        if self.counts:
            lines += ["", f"{'entity':<14}{'read':>9}{'new':>9}{'updated':>9}{'unchanged':>10}{'removed':>9}"]
            lines += [f"{name:<14}{c.read:>9,}{c.new:>9,}{c.updated:>9,}{c.unchanged:>10,}{c.removed:>9,}"
                      for name, c in self.counts.items()]
        if self.unassigned:
            lines += ["", "Rows whose customer is not in the import, kept under the customer 'Unassigned':"]
            lines += [f"  {name}: {n:,}" for name, n in self.unassigned.items()]
        if self.countries:
            lines += ["", "Countries not matched (stored empty; confirm a proposal in the mapping's [countries]):"]
            lines += [f"  {c.value!r} ({c.rows:,} rows): "
                      + (f"did you mean {c.proposal} ({c.proposal_name})?" if c.proposal else "no proposal")
                      for c in self.countries]
        if self.unmapped:
            lines += ["", "Values Meridian does not know (stored empty; map them in [source.values.FIELD]):"]
            lines += [f"  {u.file} {u.field} ({u.column}): {u.value!r} in {u.rows:,} rows" for u in self.unmapped]
        if self.notes:
            lines += ["", "Notes:"] + [f"  {(n.file + ': ') if n.file else ''}{n.text()}" for n in self.notes]
        if self.preview and preview_rows:
            lines += ["", "First rows as Meridian will store them:"]
            with pl.Config(tbl_rows=preview_rows, tbl_cols=-1, tbl_width_chars=160, fmt_str_lengths=30,
                           tbl_hide_dataframe_shape=True):
                for name, frame in self.preview.items():
                    lines += [f"{name}:", str(frame.head(preview_rows))]
        if self.problems:
            lines += ["", f"{len(self.problems):,} problem(s); nothing was written:"]
            shown = self.problems[:max_problems]
            lines += [f"  {_where(p)}: {p.text()}" for p in shown]
            if len(shown) < len(self.problems):
                lines.append(f"  … and {len(self.problems) - len(shown):,} more (--problems FILE lists them all)")
        return "\n".join(lines)


def _where(problem: Problem) -> str:
    parts = [problem.file]
    if problem.row is not None:
        parts.append(f"row {problem.row}")
    if problem.column:
        parts.append(f"column {problem.column!r}")
    if problem.value is not None:
        parts.append(f"value {problem.value!r}")
    return ", ".join(parts)
