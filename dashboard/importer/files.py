"""Reading exports: CSV (any common separator, UTF-8 with or without BOM, UTF-16 as Excel's "Unicode
text", quoted newlines) and Excel workbooks (one table per visible sheet, read with fastexcel).

Every cell is read as text, exactly as the export wrote it: ids like "0012" keep their zeros and a cell
that looks like a formula ("=1+1") stays text. Converting text to dates, numbers and countries is the
next step's job, where the formats can be detected and reported.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import fastexcel
import polars as pl

from dashboard.i18n import N_
from dashboard.importer.report import Note, Problem

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
SEPARATORS = (",", ";", "\t", "|")


@dataclass(frozen=True)
class SourceTable:
    """One table of an export: a CSV file or one sheet of a workbook, every cell as text (None when
    empty), with the export's own header names."""

    name: str
    path: Path
    frame: pl.DataFrame
    # The spreadsheet row of each frame row, for problems that name a row.
    rows: pl.Series
    sheet: str | None = None
    # Excel stores numbers as numbers, so their text always uses a decimal point.
    excel: bool = False

    @property
    def file_name(self) -> str:
        return self.path.name


def expand(paths: list[Path]) -> list[Path]:
    """The export files named, a folder standing for the exports inside it."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.suffix.lower() in CSV_SUFFIXES + EXCEL_SUFFIXES)
        else:
            found.append(path)
    return found


def read_tables(paths: list[Path], encoding: str | None = None,
                ) -> tuple[list[SourceTable], list[Problem], list[Note]]:
    tables: list[SourceTable] = []
    problems: list[Problem] = []
    notes: list[Note] = []
    for path in expand(paths):
        if not path.exists():
            problems.append(Problem(path.name, N_("The file does not exist.")))
        elif path.suffix.lower() in EXCEL_SUFFIXES:
            _read_workbook(path, tables, problems, notes)
        else:
            table = _read_csv(path, encoding, problems, notes)
            if table is not None:
                tables.append(table)
    return tables, problems, notes


def _read_csv(path: Path, encoding: str | None, problems: list[Problem], notes: list[Note]) -> SourceTable | None:
    raw = path.read_bytes()
    text = _decode(path.name, raw, encoding, problems)
    if text is None:
        return None
    if not text.strip():
        problems.append(Problem(path.name, N_("The file is empty: export it again with its header row.")))
        return None
    first_line = text.lstrip().split("\n", 1)[0]
    separator = max(SEPARATORS, key=first_line.count)
    records = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=separator)]
    return _table(path.name, path, records, None, problems, notes)


def _decode(name: str, raw: bytes, encoding: str | None, problems: list[Problem]) -> str | None:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if encoding:
            try:
                return raw.decode(encoding)
            except (UnicodeDecodeError, LookupError) as stated:
                problems.append(Problem(name, N_("The file cannot be read as {encoding}: {error}."),
                                        {"encoding": encoding, "error": str(stated)}))
                return None
        line = raw[:exc.start].count(b"\n") + 1
        problems.append(Problem(
            name, N_("The file is not UTF-8 (byte 0x{byte} on line {line}). Save it as UTF-8, or state its "
                     "encoding with --encoding, for example cp1252 or gbk."),
            {"byte": f"{raw[exc.start]:02X}", "line": line}, row=line))
        return None


def _read_workbook(path: Path, tables: list[SourceTable], problems: list[Problem], notes: list[Note]) -> None:
    try:
        reader = fastexcel.read_excel(path)
    except fastexcel.FastExcelError as exc:
        problems.append(Problem(path.name, N_("The workbook cannot be read: {error}."), {"error": str(exc)}))
        return
    found = False
    for sheet_name in reader.sheet_names:
        sheet = reader.load_sheet(sheet_name, header_row=None, dtypes="string", whitespace_as_null=True)
        if str(sheet.visible) != "visible":
            notes.append(Note(path.name, N_("Hidden sheet {sheet} left out."), {"sheet": sheet_name}))
            continue
        grid = sheet.to_polars()
        records = [[("" if cell is None else cell) for cell in row] for row in grid.iter_rows()]
        table = _table(f"{path.name}#{sheet_name}", path, records, sheet_name, problems, notes, excel=True)
        if table is not None:
            tables.append(table)
            found = True
    if not found:
        problems.append(Problem(path.name, N_("The file is empty: export it again with its header row.")))


def _table(name: str, path: Path, records: list[list[str]], sheet: str | None, problems: list[Problem],
           notes: list[Note], excel: bool = False) -> SourceTable | None:
    numbered = _without_footer(name, records, notes)
    if not numbered or not any(cell.strip() for cell in numbered[0][1]):
        if sheet is None:
            problems.append(Problem(name, N_("The file is empty: export it again with its header row.")))
        return None
    header = [cell.strip() for cell in numbered[0][1]]
    header = [h or f"(column {i + 1})" for i, h in enumerate(header)]
    seen: set[str] = set()
    for column in header:
        if column in seen:
            problems.append(Problem(name, N_("Two columns are named {column}: rename one in the export."),
                                    {"column": column}, row=1, column=column))
        seen.add(column)
    if len(seen) < len(header):
        return None
    width = len(header)
    rows: list[list[str | None]] = []
    numbers: list[int] = []
    for index, record in numbered[1:]:
        cells = [cell.strip() or None for cell in record]
        if len(cells) > width and any(cells[width:]):
            problems.append(Problem(name, N_("The row has {found} cells but the header has {expected}: a "
                                             "separator or quote in a value is probably not escaped."),
                                    {"found": len(cells), "expected": width}, row=index))
            continue
        rows.append((cells + [None] * width)[:width])
        numbers.append(index)
    frame = pl.DataFrame(rows, schema={h: pl.String for h in header}, orient="row")
    return SourceTable(name, path, frame, pl.Series("row", numbers, dtype=pl.Int64), sheet, excel)


def _without_footer(name: str, records: list[list[str]], notes: list[Note]) -> list[tuple[int, list[str]]]:
    """The records with their spreadsheet row numbers, without blank lines and without a report footer:
    Salesforce report exports end with a blank line and a few lines of text in the first column
    ("Generated By", copyright)."""
    def filled(record: list[str]) -> int:
        return sum(1 for cell in record if cell.strip())

    for blank in (i for i, r in enumerate(records) if not filled(r)):
        tail = [r for r in records[blank + 1:] if filled(r)]
        if tail and all(filled(r) == 1 and r[0].strip() for r in tail):
            notes.append(Note(name, N_("{n} footer lines after the data left out."), {"n": len(tail)}))
            records = records[:blank]
            break
    return [(i, r) for i, r in enumerate(records, start=1) if any(cell.strip() for cell in r)]
