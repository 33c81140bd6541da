"""Sign-in: who is looking. Fails closed.

- A roles or users file that cannot be used stops the app with a message naming the file and line.
- Without a users file, the demo sign-in (pick any role) is offered only on the generated demo
  database or when the server was started with `meridian serve --demo`; a real CRM with no users
  configured is not served at all.
- Passwords are argon2id hashes; a hash made with older parameters is replaced at the next sign-in
  (in the state database: the users file stays as the operator wrote it). An unknown name costs the
  same time as a wrong password, and repeated failures lock the name and the client for a while.
- Users of the company's identity provider sign in through Streamlit's OIDC sign-in (`st.login`).
- A signed, expiring cookie keeps the session across reloads; a user removed from the file, or whose
  password or role changed, is signed out at their next click.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import secrets
from urllib.parse import parse_qsl, unquote, urlparse

import streamlit as st
import streamlit.components.v1 as components
from sqlalchemy import Column, DateTime, Integer, String, Table, delete, func, insert, select, text

from dashboard import audit, presentation, signing, store
from dashboard.db import DatabaseError, read_only_engine
from dashboard.i18n import Translate
from dashboard.roles import (
    DEFAULT_ROLE,
    Account,
    ConfigError,
    Role,
    User,
    accounts,
    hash_password,
    needs_rehash,
    roles,
    verify_password,
)
from dashboard.text import markdown

log = logging.getLogger(__name__)

SESSION_COOKIE = "meridian_session"
RETURN_COOKIE = "meridian_return"
SESSION_HOURS = 12
MAX_FAILURES = 5
LOCK_MINUTES = 15
DEMO_ENV = "MERIDIAN_DEMO"
DEMO_MARKER = "meridian generate"

sign_in_failures = Table(
    "sign_in_failures", store.state_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(300), nullable=False, index=True),
    Column("at", DateTime, nullable=False),
)
ended_sessions = Table(
    "ended_sessions", store.state_metadata,
    Column("session", String(64), primary_key=True),
    Column("at", DateTime, nullable=False),
)
rehashed_passwords = Table(
    "rehashed_passwords", store.state_metadata,
    Column("user", String(200), primary_key=True),
    Column("replaces", String(64), nullable=False),  # SHA-256 of the users file's hash it stands for
    Column("hash", String(200), nullable=False),
)


class SignInRefused(Exception):
    """Meridian cannot let anyone in; the message says why and what the operator should do."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _fingerprint(account: Account) -> str:
    """Changes when the user's password, provider or role changes: a session made before is void."""
    return hashlib.sha256(json.dumps([account.password, account.provider, account.role]).encode()).hexdigest()[:32]


# --- demo -----------------------------------------------------------------------------------------

@st.cache_data(ttl=300, show_spinner=False)
def crm_created_by(url: str) -> str | None:
    """Who wrote the CRM database, from its `meridian_meta` table (None for a company's own CRM)."""
    try:
        engine = read_only_engine(url)
        with engine.connect() as connection:
            value = connection.execute(text("SELECT value FROM meridian_meta WHERE key = 'created_by'")).scalar()
        engine.dispose()
        return None if value is None else str(value)
    except (DatabaseError, Exception):  # no such table, no such database: not a demo
        return None


def demo_allowed(url: str) -> bool:
    return os.environ.get(DEMO_ENV) == "1" or crm_created_by(url) == DEMO_MARKER


# --- throttling -------------------------------------------------------------------------------------

def locked(*keys: str) -> bool:
    """Whether any key (a user name, a client) failed MAX_FAILURES times within LOCK_MINUTES."""
    since = _now() - dt.timedelta(minutes=LOCK_MINUTES)
    with store.engine().connect() as connection:
        counts = connection.execute(select(sign_in_failures.c.key, func.count()).where(
            sign_in_failures.c.key.in_(keys), sign_in_failures.c.at >= since).group_by(sign_in_failures.c.key))
        return any(count >= MAX_FAILURES for _, count in counts)


def _failed(*keys: str) -> None:
    with store.engine().begin() as connection:
        connection.execute(insert(sign_in_failures), [{"key": k, "at": _now()} for k in keys])


def _cleared(key: str) -> None:
    with store.engine().begin() as connection:
        connection.execute(delete(sign_in_failures).where(sign_in_failures.c.key == key))


# --- passwords --------------------------------------------------------------------------------------

def _stored_hash(account: Account) -> str | None:
    """The user's hash: the users file's, or the stronger one it was replaced by at a sign-in."""
    if account.password is None:
        return None
    replaces = hashlib.sha256(account.password.encode()).hexdigest()
    with store.engine().connect() as connection:
        newer = connection.execute(select(rehashed_passwords.c.hash).where(
            rehashed_passwords.c.user == account.name, rehashed_passwords.c.replaces == replaces)).scalar()
    return newer or account.password


def _rehash_if_needed(account: Account, stored: str, password: str) -> None:
    if not needs_rehash(stored):
        return
    replaces = hashlib.sha256(account.password.encode()).hexdigest()  # type: ignore[union-attr]
    with store.engine().begin() as connection:
        connection.execute(delete(rehashed_passwords).where(rehashed_passwords.c.user == account.name))
        connection.execute(insert(rehashed_passwords).values(user=account.name, replaces=replaces,
                                                              hash=hash_password(password)))


def check_password(users: dict[str, Account], name: str, password: str, client: str) -> Account | None:
    """The account when `password` is right and neither the name nor the client is locked."""
    user_key, client_key = f"user:{name}", f"client:{client}"
    if locked(user_key, client_key):
        raise SignInRefused("locked")
    account = users.get(name)
    password_account = account if account is not None and account.password is not None else None
    stored = _stored_hash(password_account) if password_account else None
    if not verify_password(stored, password):  # the same work for an unknown name
        _failed(user_key, client_key)
        audit.record(name, "sign_in_failed", client=client)
        return None
    _cleared(user_key)
    _rehash_if_needed(password_account, stored, password)  # type: ignore[arg-type]
    return password_account


# --- the session ------------------------------------------------------------------------------------

def _set_cookie(value: str | None) -> None:
    """Writes (or, with None, removes) the session cookie from the next page run: a script can only
    set it from the browser."""
    st.session_state["pending_cookie"] = value


def _cookie_script(name: str, value: str | None, hours: int, same_site: str) -> str:
    if value is None:
        return f"document.cookie = '{name}=; Path=/; Max-Age=0; SameSite={same_site}';"
    return (f"document.cookie = '{name}=' + {value} + '; Path=/; Max-Age={hours * 3600}; SameSite={same_site}'"
            " + (location.protocol === 'https:' ? '; Secure' : '');")


def write_cookie() -> None:
    """Sends a pending cookie change to the browser. Called where the run goes on to draw a page: an
    element of a run that switches page never reaches the browser."""
    if "pending_cookie" not in st.session_state:
        return
    value = st.session_state.pop("pending_cookie")
    script = _cookie_script(SESSION_COOKIE, None if value is None else f"'{value}'", SESSION_HOURS, "Strict")
    if st.session_state.pop("forget_return", False):
        script += _cookie_script(RETURN_COOKIE, None, 0, "Lax")
    components.html(f"<script>{script}</script>", height=0)


def _remember_return() -> None:
    """Keeps the page and filters a link asked for in a cookie: signing in at the identity provider
    comes back to the start page, in a new session."""
    components.html("<script>" + _cookie_script(
        RETURN_COOKIE, "encodeURIComponent(parent.location.pathname + parent.location.search)", 1, "Lax")
        + "</script>", height=0)


def _returned() -> None:
    """After signing in at the identity provider: where the link had asked to go, for the app to go on
    to (`wanted_page`, `wanted_params`). Only a path of this site is taken."""
    remembered = unquote(st.context.cookies.get(RETURN_COOKIE) or "")
    if not remembered.startswith("/") or remembered.startswith("//"):
        return
    target = urlparse(remembered)
    st.session_state["wanted_page"] = target.path.rstrip("/").rsplit("/")[-1]
    st.session_state["wanted_params"] = dict(parse_qsl(target.query))
    st.session_state["forget_return"] = True


def _start(account: Account, role: Role, method: str) -> User:
    session = secrets.token_urlsafe(24)
    st.session_state["session"] = {"user": account.name, "fingerprint": _fingerprint(account),
                                   "since": _now().isoformat(), "id": session}
    st.session_state.pop("signed_out", None)
    _set_cookie(signing.dumps({"user": account.name, "fingerprint": _fingerprint(account), "id": session},
                              "session"))
    audit.record(account.name, "sign_in", role=role.key, method=method)
    return User(account.name, role)


def _resumed(users: dict[str, Account], known: dict[str, Role]) -> User | None:
    """The user of this browser session, or of its cookie after a reload; None when signed out,
    expired, removed from the users file, or changed there since."""
    session = st.session_state.get("session")
    if session is None:
        # Right after signing out, the browser still holds the cookie until the page tells it to forget it.
        token = None if st.session_state.get("signed_out") else st.context.cookies.get(SESSION_COOKIE)
        payload = signing.loads(token, "session", SESSION_HOURS * 3600) if token else None
        if payload is None or _ended(str(payload.get("id"))):
            return None
        session = {"user": payload.get("user"), "fingerprint": payload.get("fingerprint"),
                   "since": _now().isoformat(), "id": payload.get("id")}
        st.session_state["session"] = session
    account = users.get(session["user"])
    expired = _now() - dt.datetime.fromisoformat(session["since"]) > dt.timedelta(hours=SESSION_HOURS)
    if account is None or account.role not in known or _fingerprint(account) != session["fingerprint"] or expired:
        sign_out()
        return None
    return User(account.name, known[account.role])


def _ended(session: str) -> bool:
    with store.engine().connect() as connection:
        return connection.execute(select(ended_sessions.c.session).where(
            ended_sessions.c.session == session)).first() is not None


def sign_out() -> None:
    """Ends the session here and everywhere its cookie went: its id is recorded as ended."""
    session = st.session_state.pop("session", None)
    if session:
        with store.engine().begin() as connection:
            connection.execute(insert(ended_sessions).prefix_with("OR IGNORE"),
                               {"session": str(session.get("id")), "at": _now()})
        audit.record(session["user"], "sign_out")
    st.session_state["signed_out"] = True
    _set_cookie(None)


def client() -> str:
    return st.context.ip_address or "unknown"


# --- the gate ---------------------------------------------------------------------------------------

def sign_in(t: Translate, url: str) -> User:
    """The signed-in user, or the sign-in form (and nothing else) until there is one. Once the page to
    show is settled, `write_cookie` sends the session cookie."""
    try:
        known = roles()
        users = accounts()
    except ConfigError as exc:
        log.error("refusing to start: %s", exc)
        _refuse(t("Meridian will not start with its access settings: {problem}", problem=str(exc)))
    if presentation.LINK_PARAM in st.query_params:
        # A shared screen signed in by its presentation link, checked again on every run.
        return presentation.sign_in(st.query_params[presentation.LINK_PARAM], t)
    missing = provider_problems(users or {})
    if missing:
        log.error("refusing to start: %s", missing)
        _refuse(t("Meridian will not start with its access settings: {problem}", problem=missing))
    if users is None:
        if not demo_allowed(url):
            _refuse(t("No users are configured for this CRM, so no one may see it. Add users in "
                      ".streamlit/users.toml (see the README), or start the demo with `meridian serve --demo`."))
        return _demo(t, known)
    user = _resumed(users, known) or _provider_user(t, users, known)
    if user is None:
        # The page the link asked for, to go on to once signed in (the query parameters stay by themselves).
        st.session_state.setdefault("wanted_page", urlparse(st.context.url or "/").path.rstrip("/").rsplit("/")[-1])
        write_cookie()
        if any(a.provider for a in users.values()):
            _remember_return()
        _form(t, users, known)
        st.stop()
    _signed_in_box(t, user)
    return user  # type: ignore[return-value]


def provider_problems(users: dict[str, Account]) -> str:
    """What Streamlit's OIDC sign-in lacks for the providers the users file names ("" when nothing):
    `[auth]` with redirect_uri and cookie_secret, and `[auth.NAME]` with client_id, client_secret and
    server_metadata_url, in .streamlit/secrets.toml."""
    providers = sorted({a.provider for a in users.values() if a.provider})
    if not providers:
        return ""
    try:
        config = dict(st.secrets.get("auth", {}))
    except Exception:  # no secrets file at all
        config = {}
    lacking = [f"auth.{key}" for key in ("redirect_uri", "cookie_secret") if not config.get(key)]
    for provider in providers:
        settings = config.get(provider) or {}
        lacking += [f"auth.{provider}.{key}" for key in ("client_id", "client_secret", "server_metadata_url")
                    if not settings.get(key)]
    return "" if not lacking else ".streamlit/secrets.toml lacks " + ", ".join(lacking) + "."


def _refuse(message: str) -> None:
    st.error(message)
    st.stop()


def _demo(t: Translate, known: dict[str, Role]) -> User:
    keys = list(known)
    role_key = st.sidebar.selectbox(
        t("Viewing as (demo sign-in)"), keys, key="role",
        index=keys.index(DEFAULT_ROLE) if DEFAULT_ROLE in keys else 0, format_func=lambda k: t(known[k].title),
        help=t("Demo data: every visitor picks a role. A company's CRM needs configured users."))
    return User("demo", known[role_key], demo=True)


def _provider_user(t: Translate, users: dict[str, Account], known: dict[str, Role]) -> User | None:
    """A user signed in through the identity provider, if that user is in the users file."""
    if not getattr(st.user, "is_logged_in", False):
        return None
    email = str(st.user.get("email") or "")
    account = users.get(email)
    if account is None or account.provider is None:
        st.error(t("{email} signed in with the identity provider but is not a user of Meridian. Ask an "
                   "administrator to add you.", email=email))
        if st.button(t("Sign out")):
            st.logout()
        st.stop()
    _returned()
    return _start(account, known[account.role], "provider")  # type: ignore[union-attr]


def _form(t: Translate, users: dict[str, Account], known: dict[str, Role]) -> None:
    st.title(t("Sign in"), anchor=False)
    providers = sorted({a.provider for a in users.values() if a.provider})
    for provider in providers:
        if st.button(t("Sign in with {provider}", provider=provider), key=f"provider-{provider}"):
            st.login(provider)
    if not any(a.password for a in users.values()):
        return
    with st.form("sign_in"):
        name = st.text_input(t("User name"))
        password = st.text_input(t("Password"), type="password")
        if not st.form_submit_button(t("Sign in")):
            return
    try:
        account = check_password(users, name, password, client())
    except SignInRefused:
        st.error(t("Too many failed attempts. Try again in {minutes} minutes.", minutes=LOCK_MINUTES))
        return
    if account is None:
        st.error(t("Unknown user name or wrong password."))
        return
    _start(account, known[account.role], "password")
    st.rerun()


def _signed_in_box(t: Translate, user: User) -> None:
    side = st.sidebar
    side.caption(t("Signed in as {name} · {role}", name=markdown(user.name), role=markdown(t(user.role.title))))
    if side.button(t("Sign out"), key="sign_out"):
        sign_out()
        if getattr(st.user, "is_logged_in", False):
            st.logout()
        st.rerun()
