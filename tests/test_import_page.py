"""The admin page "Import data" through the real entrypoint: upload, check, import, refresh."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from streamlit.testing.v1 import AppTest

from dashboard import nav
from dashboard.db import read_only_engine
from dashboard.importer.run import Request, run
from dashboard.paths import PROJECT_ROOT
from dashboard.snapshot import refresh, snapshot_root

APP = str(PROJECT_ROOT / "dashboard" / "app.py")
FIXTURES = Path(__file__).parent / "fixtures" / "imports"
PAGE = nav.page("import_data").path


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[AppTest, str]:
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    monkeypatch.setenv("MERIDIAN_DATA_DIR", str(tmp_path))
    # An import store is a company's data: its demo sign-in is asked for, as `meridian serve --demo` does.
    monkeypatch.setenv("MERIDIAN_DEMO", "1")
    report = run(Request([FIXTURES / "b2b"], url, PROJECT_ROOT / "docs" / "mapping-example.toml",
                         skip_incomplete=True))
    assert report.ok, report.text()
    refresh(read_only_engine(url), snapshot_root(url), full=True)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"period": "custom", "from": "2017-03-01", "to": "2017-03-31"})
    return at, url


def as_admin(at: AppTest) -> AppTest:
    at.run()
    at.selectbox(key="role").set_value("admin").run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def uploads(folder: str) -> list[tuple[str, bytes, str]]:
    return [(p.name, p.read_bytes(), "text/csv") for p in sorted((FIXTURES / folder).iterdir())]


def customers(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(text("SELECT COUNT(*) FROM customers")).scalar()
    engine.dispose()
    return int(count or 0)


def test_only_administrators_see_the_page(app: tuple[AppTest, str]) -> None:
    at, _ = app
    at.run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)


@pytest.mark.parametrize(("lang", "title"), [("en", "Import data"), ("zh-CN", "导入数据")])
def test_page_renders(app: tuple[AppTest, str], lang: str, title: str) -> None:
    at, _ = app
    at.query_params["lang"] = lang
    as_admin(at)
    assert at.title[0].value == title
    assert not at.error


def test_check_then_import_then_refresh(app: tuple[AppTest, str]) -> None:
    at, url = app
    as_admin(at)
    at.file_uploader(key="import_files").set_value(uploads("salesforce")).run()
    assert not at.exception, at.exception
    # Checked, not written: the store still holds the 8 customers of the B2B import.
    assert any("updates this Meridian import store." in x.value for x in at.text)
    assert customers(url) == 8
    at.button(key="import_confirm").click().run()
    assert not at.exception, at.exception
    # Salesforce adds 5 accounts; its deal without an account joins the existing Unassigned customer.
    assert customers(url) == 13
    assert any("Imported." in s.value for s in at.success)
    at.button(key="import_refresh").click().run()
    assert any(s.value == "Data refreshed." for s in at.success)


def test_problems_are_listed_and_nothing_is_imported(app: tuple[AppTest, str]) -> None:
    at, url = app
    as_admin(at)
    broken = FIXTURES / "broken" / "duplicate_ids_accounts.csv"
    at.file_uploader(key="import_files").set_value([(broken.name, broken.read_bytes(), "text/csv")]).run()
    assert any("1 problems" in e.value for e in at.error)
    assert not [b for b in at.button if b.key == "import_confirm"]
    assert customers(url) == 8
