"""Presentation links: a shared screen that stays signed in.

An administrator creates a link bound to regions, a set of pages and an expiry. The link carries a token
the server signed (HMAC-SHA256): its id, regions, pages and expiry, encoded in the URL, and the signature
of exactly those. The link is also recorded in the state database (dashboard/store.py), so it survives
reloads and restarts and can be revoked. A screen opened with it is signed in as a shared screen of
those regions — no personal data, always in presentation mode — and it cannot be widened by editing
the URL: a changed token fails its signature, a page outside the link's is refused, and the region
filter can only narrow the link's regions.

The secret is the server's (`dashboard/signing.py`: `[meridian] secret` in `.streamlit/secrets.toml`, else
one generated once into the data folder, readable by its owner only). Changing it invalidates every link.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import streamlit as st
from sqlalchemy import Column, DateTime, String, Table, insert, select, update

from dashboard import audit, signing, store
from dashboard.i18n import N_, Translate
from dashboard.roles import Role, User, roles

LINK_PARAM = "link"
STATE_KEY = "presentation_link"
SCREEN_ROLE = "team_screen"

links = Table(
    "presentation_links", store.state_metadata,
    Column("id", String(32), primary_key=True),
    Column("label", String(120), nullable=False),
    Column("regions", String(200), nullable=False),  # region codes, comma-separated; empty: every region
    Column("pages", String(400), nullable=False),  # page keys, comma-separated
    Column("expires_at", DateTime, nullable=False),  # UTC
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(120), nullable=False),
    Column("revoked_at", DateTime),
)


class LinkRefused(Exception):
    """The link cannot sign in; the message is a msgid saying why."""


@dataclass(frozen=True)
class Link:
    id: str
    label: str
    regions: tuple[str, ...]  # region codes; empty: every region
    pages: tuple[str, ...]
    expires_at: dt.datetime  # UTC, naive
    created_at: dt.datetime
    created_by: str
    revoked_at: dt.datetime | None = None

    def payload(self) -> dict:
        """What the token signs."""
        return {"id": self.id, "regions": list(self.regions), "pages": list(self.pages),
                "expires": self.expires_at.isoformat(timespec="seconds")}

    def status(self, now: dt.datetime) -> str:
        return "revoked" if self.revoked_at else "expired" if now >= self.expires_at else "active"

    def role(self) -> Role:
        return screen_role(self.regions)


def screen_role(regions: Sequence[str]) -> Role:
    """A shared screen of these regions (by code; none: every region): no personal data, no other right."""
    shipped = roles().get(SCREEN_ROLE)
    return Role(SCREEN_ROLE, shipped.title if shipped else N_("Team screen"), frozenset({"shared_screen"}),
                regions=frozenset(regions) if regions else None)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def secret() -> bytes:
    return signing.secret().encode()


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token(link: Link) -> str:
    """The link's token: its payload and the server's signature of it."""
    body = _encode(json.dumps(link.payload(), separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_encode(hmac.new(secret(), body.encode(), hashlib.sha256).digest())}"


def _row_link(row: Mapping) -> Link:
    return Link(row["id"], row["label"], tuple(r for r in row["regions"].split(",") if r),
                tuple(p for p in row["pages"].split(",") if p), row["expires_at"], row["created_at"],
                row["created_by"], row["revoked_at"])


def create(label: str, regions: Sequence[str], pages: Sequence[str], expires_at: dt.datetime,
           created_by: str) -> tuple[Link, str]:
    """Records a new link (regions by code) and returns it with its token."""
    link = Link(secrets.token_hex(8), label, tuple(sorted(regions)), tuple(pages), expires_at.replace(microsecond=0),
                _now(), created_by)
    with store.engine().begin() as connection:
        connection.execute(insert(links).values(
            id=link.id, label=link.label, regions=",".join(link.regions), pages=",".join(link.pages),
            expires_at=link.expires_at, created_at=link.created_at, created_by=link.created_by))
    audit.record(created_by, "link_created", link=link.id, label=label, regions=list(link.regions),
                 pages=list(link.pages), expires=link.expires_at.isoformat())
    return link, token(link)


def revoke(link_id: str, revoked_by: str) -> None:
    with store.engine().begin() as connection:
        connection.execute(update(links).where(links.c.id == link_id, links.c.revoked_at.is_(None))
                           .values(revoked_at=_now()))
    audit.record(revoked_by, "link_revoked", link=link_id)


def all_links() -> list[Link]:
    """Every link, newest first."""
    with store.engine().connect() as connection:
        found = connection.execute(select(links).order_by(links.c.created_at.desc(), links.c.id)).mappings()
        return [_row_link(row) for row in found]


def verify(text: str, now: dt.datetime | None = None) -> Link:
    """The link a token stands for, or LinkRefused: a token that is not the server's own (or was edited),
    a link that is unknown, revoked or expired, or one whose recorded terms differ from the token's."""
    body, _, signature = text.partition(".")
    try:
        valid = hmac.compare_digest(_decode(signature), hmac.new(secret(), body.encode(), hashlib.sha256).digest())
        payload = json.loads(_decode(body)) if valid else None
    except (ValueError, UnicodeDecodeError):
        payload = None
    if not isinstance(payload, dict):
        raise LinkRefused(N_("This presentation link is not valid: it was changed or is incomplete. Ask an "
                             "administrator for a new link."))
    with store.engine().connect() as connection:
        row = connection.execute(select(links).where(links.c.id == str(payload.get("id")))).mappings().first()
    if row is None:
        raise LinkRefused(N_("This presentation link is unknown to this server. Ask an administrator for a new "
                             "link."))
    link = _row_link(row)
    if link.payload() != payload:
        raise LinkRefused(N_("This presentation link is not valid: it was changed or is incomplete. Ask an "
                             "administrator for a new link."))
    status = link.status(now or _now())
    if status == "revoked":
        raise LinkRefused(N_("This presentation link was revoked. Ask an administrator for a new link."))
    if status == "expired":
        raise LinkRefused(N_("This presentation link has expired. Ask an administrator for a new link."))
    return link


def wider_than(link: Link, params: Mapping[str, str]) -> list[str]:
    """Parameters that would show more than the link allows: pages outside its own."""
    asked = [p for p in str(params.get("pages", "")).split(",") if p]
    outside = [p for p in asked if p not in link.pages]
    return [f"pages={','.join(outside)}"] if outside else []


def sign_in(text: str, t: Translate) -> User:
    """The shared screen a presentation link signs in, checked on every run; a refusal stops the page with
    its reason."""
    try:
        link = verify(text)
        wider = wider_than(link, st.query_params)
        if wider:
            raise LinkRefused(N_("This presentation link does not allow what its address was changed to ask for. "
                                 "Open it as it was given."))
    except LinkRefused as refused:
        st.session_state.pop(STATE_KEY, None)
        st.error(t(str(refused)))
        st.stop()
        raise
    if st.session_state.get(STATE_KEY) != link:
        audit.record(f"link:{link.id}", "sign_in", role=SCREEN_ROLE, method="presentation link", label=link.label)
    st.session_state[STATE_KEY] = link
    return User(f"link:{link.id}", link.role())


def current() -> Link | None:
    """The presentation link this session is signed in with, if any."""
    return st.session_state.get(STATE_KEY)


# --- the administrators' section ------------------------------------------------------------------------

THEMES = {"auto": N_("As the screen's system"), "light_theme": N_("Light"), "dark_theme": N_("Dark")}
STATUS_TEXT = {"active": N_("Active"), "expired": N_("Expired"), "revoked": N_("Revoked")}


def address(link_token: str, pages: Sequence[str], rotate: int, lang: str, theme: str) -> str:
    """The address a screen opens: this server's, with the token and the playlist."""
    base = (st.context.url or "").split("?")[0].rstrip("/")
    base = base.rsplit("/", 1)[0] if base.count("/") > 2 else base
    params = {LINK_PARAM: link_token, "kiosk": "1", "pages": ",".join(pages), "lang": lang}
    if len(pages) > 1:
        params["rotate"] = str(rotate)
    if theme != "auto":
        params["embed_options"] = theme
    return f"{base}/?" + "&".join(f"{k}={v}" for k, v in params.items())


def admin_section(t: Translate, lang: str, user: User, region_names: Mapping[str, str],
                  page_titles: Mapping[str, str]) -> None:
    """Create, list and revoke presentation links (administrators only: the caller checks)."""
    from dashboard import fmt, text

    st.subheader(t("Presentation links"))
    st.caption(t("A link signs a shared screen in for the chosen regions and pages until it expires, without "
                 "personal data; editing its address cannot widen it. Revoke a link to sign its screens out."))
    with st.form("new_presentation_link", clear_on_submit=True):
        label = st.text_input(t("Name"), placeholder=t("e.g. Sales floor, Shanghai"), max_chars=120)
        left, right = st.columns(2)
        regions = left.multiselect(t("Regions"), list(region_names), format_func=lambda r: t(region_names[r]),
                                   placeholder=t("All regions"))
        pages = right.multiselect(t("Pages"), list(page_titles), default=list(page_titles)[:1],
                                  format_func=lambda p: page_titles[p])
        days = left.number_input(t("Valid for (days)"), min_value=1, max_value=365, value=30)
        rotate = right.number_input(t("Seconds on each page"), min_value=10, max_value=3600, value=60)
        theme = left.selectbox(t("Theme"), list(THEMES), format_func=lambda k: t(THEMES[k]))
        if st.form_submit_button(t("Create link")):
            if not label.strip() or not pages:
                st.error(t("Give the link a name and at least one page."))
            else:
                link, signed = create(label.strip(), regions, pages, _now() + dt.timedelta(days=int(days)),
                                      user.name)
                st.success(t("Link created. Open it on the screen:"))
                st.code(address(signed, link.pages, int(rotate), lang, theme), language=None, wrap_lines=True)
    now = _now()
    for link in all_links():
        status = link.status(now)
        where = ", ".join(t(region_names.get(r, str(r))) for r in link.regions) or t("All regions")
        shown = ", ".join(page_titles.get(p, p) for p in link.pages)
        left, right = st.columns([5, 1], vertical_alignment="center")
        left.markdown(text.markdown(f"{link.label} · {where} · {shown}") + "  \n" + text.markdown(
            t("{status} · expires {time} UTC", status=t(STATUS_TEXT[status]),
              time=fmt.datetime(link.expires_at, lang))))
        if status == "active" and right.button(t("Revoke"), key=f"revoke-{link.id}"):
            revoke(link.id, user.name)
            st.rerun()
