"""Every query × every role, on the demo data.

For each role of the roles file, each public query function is run over the whole demo CRM with the
role's scope, and as an administrator (with the role's personal-data right) over a CRM holding only
that scope's rows: the results must be identical. For roles without the personal-data right, no
string cell of any result may hold a raw e-mail, phone, consumer's or contact's name, or comment.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboard import roles, schema
from dashboard.demo import Plan, generate
from dashboard.filters import Filters
from dashboard.snapshot import Snapshot
from tests import tiny
from tests.conftest import snapshot_of
from tests.test_scope import EXTRA_ARGS, QUERIES

AS_OF = dt.date(2026, 5, 31)
PERIOD = Filters(start=dt.date(2026, 1, 1), end=AS_OF, preset="year_to_date")
ROLES = roles.roles()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, pl.DataFrame], Snapshot]:
    """A small demo CRM, its tables as generated, and its snapshot."""
    folder = tmp_path_factory.mktemp("matrix")
    batches: dict[str, list[pl.DataFrame]] = defaultdict(list)
    generate(Plan(1_200, 11, AS_OF), lambda table, frame: batches[table].append(frame))
    frames = {name: pl.concat(batches[name]) if batches[name] else pl.DataFrame(schema=schema.polars_schema(name))
              for name in schema.TABLE_ORDER}
    url = f"sqlite:///{folder / 'demo.sqlite'}"
    tiny.write(url, frames)
    return folder, frames, snapshot_of(url, folder / "whole")


def scoped_crm(frames: dict[str, pl.DataFrame], region_codes: frozenset[str]) -> dict[str, pl.DataFrame]:
    """The demo CRM holding only the rows of these regions: their customers with everything about them,
    their teams with their reps and targets; reference tables and company-wide targets whole."""
    regions = frames["regions"].filter(pl.col("code").is_in(list(region_codes)))["id"].implode()
    countries = frames["countries"].filter(pl.col("region_id").is_in(regions))["iso2"].implode()
    kept = frames["customers"].filter(pl.col("country_iso2").is_in(countries))
    teams = frames["teams"].filter(pl.col("region_id").is_in(regions))
    reps = frames["reps"].filter(pl.col("team_id").is_in(teams["id"].implode()))
    scoped = dict(frames, customers=kept, teams=teams, reps=reps,
                  targets=frames["targets"].filter(pl.col("scope_id").is_in(teams["id"].implode())
                                                      | (pl.col("scope_kind") == "company")))
    for name in ("contacts", "orders", "opportunities", "interactions", "tickets", "surveys", "consents",
                 "data_requests"):
        scoped[name] = frames[name].filter(pl.col("customer_id").is_in(kept["id"].implode()))
    return scoped


def personal_values(frames: dict[str, pl.DataFrame]) -> set[str]:
    """Every raw personal value of the CRM — less the names of the company's own staff, which are shown
    to every role and can coincide with a consumer's."""
    customers, contacts = frames["customers"], frames["contacts"]
    values = [customers["email"], customers["phone"], customers.filter(pl.col("kind") == "B2C")["name"],
              contacts["name"], contacts["email"], contacts["phone"], frames["surveys"]["comment"]]
    staff = set(frames["reps"]["name"].to_list()) | set(frames["teams"]["manager"].drop_nulls().to_list())
    return {v for series in values for v in series.drop_nulls().to_list() if v} - staff


@pytest.mark.parametrize("role", list(ROLES), ids=str)
def test_every_query_for_every_role(demo: tuple[Path, dict[str, pl.DataFrame], Snapshot], role: str) -> None:
    folder, frames, whole = demo
    spec = ROLES[role]
    regions = pl.DataFrame({"id": frames["regions"]["id"], "code": frames["regions"]["code"]})
    scope = spec.scope(regions, frames["teams"].select("id", "name"))
    scoped_src = whole if spec.regions is None else _scoped_snapshot(folder, frames, spec.regions, whole)
    as_role = replace(PERIOD, scope=scope, personal_data=spec.personal_data)
    as_admin = replace(PERIOD, personal_data=spec.personal_data)
    personal = set() if spec.personal_data else personal_values(frames)
    for fn in QUERIES:
        mine, theirs = _result(fn, whole, as_role), _result(fn, scoped_src, as_admin)
        # Sums of floats grouped in another order may differ in the last bits.
        try:
            assert_frame_equal(mine, theirs, check_exact=False, rel_tol=1e-9, abs_tol=1e-9)
        except AssertionError as exc:
            raise AssertionError(f"{role}: {fn.__module__}.{fn.__name__} differs: {exc}") from exc
        for column, dtype in mine.schema.items():
            if dtype == pl.String:
                leaked = set(mine[column].drop_nulls().to_list()) & personal
                assert not leaked, f"{role}: {fn.__name__}.{column} shows personal data: {sorted(leaked)[:3]}"


_built: dict[frozenset[str], Snapshot] = {}


def _scoped_snapshot(folder: Path, frames: dict[str, pl.DataFrame], codes: frozenset[str],
                     whole: Snapshot) -> Snapshot:
    if codes not in _built:
        url = f"sqlite:///{folder / ('-'.join(sorted(codes)) + '.sqlite')}"
        tiny.write(url, scoped_crm(frames, codes))
        src = snapshot_of(url, folder / "-".join(sorted(codes)))
        # "Due" and "stale" are judged at the data's as-of time: the same moment for both.
        _built[codes] = replace(src, data_first=whole.data_first, data_last=whole.data_last)
    return _built[codes]


def _result(fn: Callable[..., object], src: Snapshot, f: Filters) -> pl.DataFrame:
    out = fn(src, f, *EXTRA_ARGS.get(fn.__name__, ()))
    return out.collect() if isinstance(out, pl.LazyFrame) else out  # type: ignore[return-value]


def test_the_matrix_sees_a_leak(demo: tuple[Path, dict[str, pl.DataFrame], Snapshot]) -> None:
    # A query that ignores the scope shows an EMEA lead other regions' revenue, and the matrix sees it.
    folder, frames, whole = demo
    spec = ROLES["lead_emea"]
    scope = spec.scope(frames["regions"].select("id", "code"), frames["teams"].select("id", "name"))
    from queries import revenue

    mine = revenue.revenue(whole, replace(PERIOD, scope=replace(scope, regions=None)))
    theirs = revenue.revenue(_scoped_snapshot(folder, frames, spec.regions, whole), PERIOD)  # type: ignore[arg-type]
    assert not mine.equals(theirs)

