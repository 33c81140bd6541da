"""Who may sign in, and how: the roles and users files fail closed, passwords are argon2id, failures are
throttled, sessions end when the user is gone, and every sign-in and view lands in the audit trail."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from dashboard import audit, auth, roles, store
from dashboard.paths import PROJECT_ROOT
from tests import tiny
from tests.test_app import APP, TINY_PERIOD, code_scripts, metric, shown


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder of this test's own (state database, snapshots) and a users file path in it."""
    monkeypatch.setenv("MERIDIAN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MERIDIAN_USERS_FILE", str(tmp_path / "users.toml"))
    monkeypatch.delenv("MERIDIAN_DEMO", raising=False)
    roles._accounts.cache_clear()
    return tmp_path


def write_users(folder: Path, body: str) -> Path:
    path = folder / "users.toml"
    path.write_text(body)
    return path


@pytest.mark.parametrize(("body", "message"), [
    ("[users\nrole = 1", r"users\.toml: not valid TOML"),
    ("", r"no \[users\.\"NAME\"\] tables"),
    ('[users.li]\nrole = "chief"\npassword = "$argon2id$x"\n', r"users\.toml:1: user 'li' has role 'chief'"),
    ('[users.li]\nrole = "executive"\n', r"users\.toml:1: user 'li' needs either a password"),
    ('\n\n[users.li.wei]\nrole = "executive"\npassword = "$argon2id$x"\n', r"users\.toml:3: .*must be quoted"),
    ('[users.li]\nrole = "executive"\npassword = "pbkdf2:ab:cd"\n', r"not an argon2id hash"),
    ('[users.li]\nrole = "executive"\npassword = "$argon2id$x"\nprovider = "company"\n', r"not both"),
    ('[users.li]\nrole = "executive"\npassword = "$argon2id$x"\nadmin = true\n', r"unknown settings: admin"),
])
def test_a_users_file_with_a_mistake_is_refused_with_file_and_line(data: Path, body: str, message: str) -> None:
    write_users(data, body)
    with pytest.raises(roles.ConfigError, match=message):
        roles.accounts()
    assert roles.check_files() and re.search(message, roles.check_files()[0])


def test_a_roles_file_with_a_mistake_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "roles.toml"
    path.write_text('[roles.viewer]\ntitle = "Viewer"\nrights = ["everything"]\n')
    monkeypatch.setattr(roles, "roles_file", lambda: path)
    with pytest.raises(roles.ConfigError, match=r"roles\.toml:1: role 'viewer' has unknown rights: everything"):
        roles.roles()
    path.write_text('[roles.wall]\ntitle = "Wall"\nrights = ["shared_screen", "personal_data"]\n')
    with pytest.raises(roles.ConfigError, match="shared screen and may not see personal data"):
        roles.roles()


@pytest.fixture
def crm(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("access-crm")
    url = f"sqlite:///{folder / 'crm.sqlite'}"
    tiny.write(url)
    return url


def app_for(url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    from dashboard.db import read_only_engine
    from dashboard.snapshot import refresh, snapshot_root

    monkeypatch.setenv("CRM_DATABASE_URL", url)
    refresh(read_only_engine(url), snapshot_root(url))
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in TINY_PERIOD.items():
        at.query_params[key] = value
    return at


def test_the_app_refuses_to_start_with_a_broken_users_file(data: Path, crm: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    write_users(data, '[users.li]\nrole = "chief"\npassword = "$argon2id$x"\n')
    at = app_for(crm, monkeypatch).run()
    assert not at.exception
    assert any("will not start" in e.value and "users.toml:1" in shown(e.value) for e in at.error)
    # No role picker, no sign-in form, nothing else.
    assert not any(box.key == "role" for box in at.selectbox) and not at.text_input


def shown_html(at: AppTest) -> list[str]:
    """The page's HTML but the hidden script that asks for the chart code (public, sent to any visitor)."""
    return [part.value for part in at.get("html") if part.value not in code_scripts(at)]


def test_a_real_crm_without_users_is_not_served(data: Path, crm: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app_for(crm, monkeypatch).run()
    assert any("No users are configured" in e.value for e in at.error)
    assert not any(box.key == "role" for box in at.selectbox) and not shown_html(at)


def test_the_demo_database_offers_the_demo_sign_in(data: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt

    from dashboard.demo import Plan, write_demo

    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    write_demo(url, Plan(300, 3, dt.date(2026, 3, 31)))
    auth.crm_created_by.clear()
    at = app_for(url, monkeypatch).run()
    assert not at.exception and not at.error
    assert at.selectbox(key="role").value == "executive"


def test_identity_provider_users_need_their_settings(data: Path, crm: str, monkeypatch: pytest.MonkeyPatch) -> None:
    write_users(data, '[users."ana@example.com"]\nrole = "executive"\nprovider = "company"\n')
    at = app_for(crm, monkeypatch).run()
    assert any("lacks auth.redirect_uri" in shown(e.value) and "auth.company.client_id" in shown(e.value)
               for e in at.error)
    assert not at.button and not at.text_input


def readme_users_example() -> str:
    readme = (PROJECT_ROOT / "README.md").read_text()
    block = re.search(r"```toml\n(# \.streamlit/users\.toml.*?)```", readme, re.S)
    assert block, "the README shows no users file"
    return block.group(1)


def test_the_readmes_users_file_works_as_written(data: Path, crm: str, monkeypatch: pytest.MonkeyPatch) -> None:
    example = readme_users_example()
    name = re.search(r'\[users\."([^"]+)"\]', example).group(1)  # type: ignore[union-attr]
    write_users(data, re.sub(r'password = "[^"]*"', f'password = "{roles.hash_password("s3cret!")}"', example))
    account = roles.accounts()[name]  # type: ignore[index]
    assert account.role in roles.roles()
    at = app_for(crm, monkeypatch)
    # The example's identity-provider user needs Streamlit's OIDC settings (nothing is contacted here).
    at.secrets["auth"] = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "x" * 32,
                          "company": {"client_id": "meridian", "client_secret": "s",
                                      "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}}
    at.run()
    at.text_input[0].input(name)
    at.text_input[1].input("s3cret!")
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert metric(at, "revenue") == "$0.00"  # a Greater China lead: the tiny CRM has no customers there


def password_user(data: Path, hasher: PasswordHasher | None = None, role: str = "lead_emea") -> None:
    hashed = (hasher or roles.HASHER).hash("s3cret!")
    write_users(data, f'[users."li.wei"]\nrole = "{role}"\npassword = "{hashed}"\n')
    roles._accounts.cache_clear()


def test_sign_in_then_out(data: Path, crm: str, monkeypatch: pytest.MonkeyPatch) -> None:
    password_user(data)
    at = app_for(crm, monkeypatch).run()
    assert not shown_html(at)  # nothing shown before signing in
    at.text_input[0].input("li.wei")
    at.text_input[1].input("wrong")
    at.button[0].click().run()
    assert any("wrong password" in e.value for e in at.error)
    at.text_input[1].input("s3cret!")
    at.button[0].click().run()
    assert metric(at, "revenue") == "$290"  # EMEA only
    at.button(key="sign_out").click().run()
    assert at.title[0].value == "Sign in"
    actions = audit.entries()["action"].to_list()[::-1]
    assert actions == ["sign_in_failed", "sign_in", "view", "sign_out"]
    assert audit.verify() is None


def test_a_user_removed_from_the_file_is_signed_out(data: Path, crm: str, monkeypatch: pytest.MonkeyPatch) -> None:
    password_user(data)
    at = app_for(crm, monkeypatch).run()
    at.text_input[0].input("li.wei")
    at.text_input[1].input("s3cret!")
    at.button[0].click().run()
    assert metric(at, "revenue") == "$290"
    write_users(data, f'[users.someone]\nrole = "executive"\npassword = "{roles.hash_password("x")}"\n')
    at.run()
    assert at.title[0].value == "Sign in"
    assert not any('data-kpi="revenue"' in h.value for h in at.get("html"))


def test_deleting_the_users_file_does_not_open_the_demo(data: Path, crm: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    password_user(data)
    at = app_for(crm, monkeypatch).run()
    at.text_input[0].input("li.wei")
    at.text_input[1].input("s3cret!")
    at.button[0].click().run()
    (data / "users.toml").unlink()
    at.run()
    assert any("No users are configured" in e.value for e in at.error)
    assert not any(box.key == "role" for box in at.selectbox)


def test_failures_lock_the_name_and_the_client(data: Path) -> None:
    password_user(data)
    users = roles.accounts()
    assert users is not None
    for _ in range(auth.MAX_FAILURES):
        assert auth.check_password(users, "li.wei", "wrong", "10.0.0.1") is None
    # The right password no longer helps, from this client or another one, for this name ...
    with pytest.raises(auth.SignInRefused):
        auth.check_password(users, "li.wei", "s3cret!", "10.0.0.1")
    with pytest.raises(auth.SignInRefused):
        auth.check_password(users, "li.wei", "s3cret!", "10.0.0.2")
    # ... and this client is locked for every name.
    with pytest.raises(auth.SignInRefused):
        auth.check_password(users, "someone.else", "x", "10.0.0.1")


def test_an_unknown_name_does_the_same_work_as_a_wrong_password(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    password_user(data)
    users = roles.accounts()
    assert users is not None
    verified: list[str] = []

    class Spy:
        def hash(self, password: str) -> str:
            return PasswordHasher().hash(password)

        def verify(self, stored: str, password: str) -> bool:
            verified.append(stored)
            return PasswordHasher().verify(stored, password)

    monkeypatch.setattr(roles, "HASHER", Spy())
    assert auth.check_password(users, "nobody", "s3cret!", "10.0.0.3") is None
    assert auth.check_password(users, "li.wei", "wrong", "10.0.0.3") is None
    assert len(verified) == 2 and all(h.startswith("$argon2id$") for h in verified)


def test_a_weaker_hash_is_replaced_at_sign_in(data: Path) -> None:
    password_user(data, PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    users = roles.accounts()
    assert users is not None and roles.needs_rehash(users["li.wei"].password)  # type: ignore[arg-type]
    assert auth.check_password(users, "li.wei", "s3cret!", "10.0.0.4") is not None
    stronger = auth._stored_hash(users["li.wei"])
    assert stronger != users["li.wei"].password and not roles.needs_rehash(stronger)  # type: ignore[arg-type]
    # The users file is untouched; the next sign-in verifies against the stronger hash.
    assert "time_cost" not in (data / "users.toml").read_text() and "m=8," in (data / "users.toml").read_text()
    assert auth.check_password(users, "li.wei", "s3cret!", "10.0.0.4") is not None


def test_the_audit_trail_is_a_chain_that_shows_tampering(data: Path) -> None:
    audit.record("li.wei", "sign_in", role="lead_emea")
    audit.record("li.wei", "view", page="map", drill="2/DE")
    audit.record("li.wei", "export", what="top customers", rows=15)
    assert audit.verify() is None
    entries = audit.entries()
    assert entries["action"].to_list() == ["export", "view", "sign_in"]
    with store.engine().begin() as connection:
        connection.execute(update(audit.audit_log).where(audit.audit_log.c.action == "view")
                           .values(detail='{"page": "overview"}'))
    assert audit.verify() == int(entries.filter(entries["action"] == "view")["id"][0])


def test_meridian_audit_exports_and_checks_the_trail(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from dashboard import cli

    audit.record("li.wei", "sign_in", role="lead_emea")
    audit.record("li.wei", "export", what="partners", rows=12)
    out = data / "trail.csv"
    assert cli.main(["audit", "--output", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines[0].startswith("id,at,user,action,detail") and len(lines) == 3
    with store.engine().begin() as connection:
        connection.execute(update(audit.audit_log).where(audit.audit_log.c.action == "sign_in").values(user="x"))
    assert cli.main(["audit", "--output", str(out)]) == 1
    assert "broken at entry 1" in capsys.readouterr().err


def test_administrators_read_the_trail(data: Path, crm: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard import nav

    monkeypatch.setenv("MERIDIAN_DEMO", "1")
    at = app_for(crm, monkeypatch).run()
    at.selectbox(key="role").set_value("admin").run()
    at.switch_page(nav.page("audit").path).run()
    assert not at.exception
    assert any("intact" in s.value for s in at.success)
    at.selectbox(key="role").set_value("executive").run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(nav.page("audit").path)


def test_exports_are_neutralised_and_recorded(data: Path, crm: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import polars as pl
    import streamlit as st

    from dashboard.components import csv_bytes

    frame = pl.DataFrame({"name": ["=HYPERLINK(\"https://evil.example\")", "Acme", "+1", "\u202eevil"],
                          "orders": [1, 2, 3, 4]})
    exported = csv_bytes(frame, {"name": st.column_config.TextColumn("Customer"), "orders": "Orders"})
    assert exported.decode("utf-8-sig").splitlines() == [
        "Customer,Orders", "\"'=HYPERLINK(\"\"https://evil.example\"\")\",1", "Acme,2", "'+1,3", "evil,4"]
    monkeypatch.setenv("MERIDIAN_DEMO", "1")
    at = app_for(crm, monkeypatch).run()
    at.selectbox(key="role").set_value("admin").run()
    from dashboard import nav

    at.switch_page(nav.page("partners").path).run()
    assert any(b.label == "Download (CSV)" for b in at.get("download_button"))
    at.selectbox(key="role").set_value("team_screen").run()
    at.switch_page(nav.page("partners").path).run()
    assert not at.get("download_button")  # the shared screen has no export right
