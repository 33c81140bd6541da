"""The sidebar: language and the global filters, seeded from the URL on a session's first run and
written back to it on every run, so a copied link reproduces the view."""

from __future__ import annotations

import streamlit as st

from dashboard import labels, text
from dashboard.cache import cached
from dashboard.filters import (
    CHANNELS,
    COMPARISONS,
    CURRENCIES,
    EXTRA_PARAMS,
    LANGUAGES,
    PRESETS,
    SEGMENTS,
    Filters,
    Scope,
    preset_window,
)
from dashboard.i18n import N_, Translate
from dashboard.roles import User
from dashboard.snapshot import Snapshot
from queries import markets, organisation

LANGUAGE_NAMES = {"en": "English", "zh-CN": "简体中文"}


def language() -> str:
    """The UI language: the sidebar choice, first seeded from `?lang=`."""
    if "lang" not in st.session_state:
        requested = st.query_params.get("lang", "en")
        st.session_state["lang"] = requested if requested in LANGUAGES else "en"
    return str(st.session_state["lang"])


def language_picker() -> None:
    st.sidebar.selectbox("Language / 语言", LANGUAGES, key="lang", format_func=LANGUAGE_NAMES.__getitem__,
                         on_change=relabel_choices)


def is_choice(value: object) -> bool:
    """A value a choice widget holds: an option (text or number) or a list of them."""
    def option(v: object) -> bool:
        return isinstance(v, str | int | float) and not isinstance(v, bool)

    return option(value) or (isinstance(value, list | tuple) and all(option(v) for v in value))


def relabel_choices() -> None:
    """Sets every choice again after the language changed. The browser keeps a choice widget's value as
    the label it showed, which the new language renames: the next click anywhere would send a label no
    option has any more, and the widget would fall back to its default (the period to month-to-date,
    a region filter cleared). A choice set again is sent with its label in the new language."""
    for key, value in list(st.session_state.items()):
        if is_choice(value):
            st.session_state[key] = value


def role_scope(user: User, src: Snapshot, t: Translate) -> Scope:
    """The signed-in role's scope in this CRM's ids; a role naming a region or team the CRM does not
    have stops the app (it would silently show nothing, or the wrong thing)."""
    everything = Filters.default(src.last_day)
    regions = cached(markets.regions)(src, everything)
    teams = cached(organisation.teams)(src, everything).rename({"team_id": "id"})
    unknown = user.role.unknown_names(regions, teams)
    if unknown:
        st.error(t("The role {role} names what this CRM does not have: {names}. Correct the roles file.",
                   role=text.markdown(user.role.key), names=text.markdown(", ".join(unknown))))
        st.stop()
    return user.role.scope(regions, teams)


def global_filters(user: User, src: Snapshot, t: Translate, lang: str) -> Filters:
    """The sidebar filters, seeded from the URL on a session's first run and written back every run.
    Every choice offered lies within the role's scope; the URL can only narrow it."""
    # Periods end on the data's last complete day, not on the wall clock's.
    today = src.last_day
    scope = role_scope(user, src, t)
    in_scope = Filters.default(today, scope, lang)
    regions = cached(markets.regions)(src, in_scope)
    countries = cached(markets.countries)(src, in_scope)
    teams = cached(organisation.teams)(src, in_scope)
    region_names = {r: n for r, n in zip(regions["id"], regions["name"], strict=True)
                    if scope.regions is None or r in scope.regions}
    country_region = {c: r for c, r in zip(countries["country_iso2"], countries["region_id"], strict=True)
                      if (scope.countries is None or c in scope.countries)
                      and (scope.regions is None or r in scope.regions)}
    country_names = dict(zip(countries["country_iso2"], countries["name"], strict=True))
    team_office = dict(zip(teams["team_id"], teams["office"], strict=True))
    team_names = dict(zip(teams["team_id"], teams["name"], strict=True))
    if "filters_seeded" not in st.session_state:
        params = {k: st.query_params.get(k) for k in st.query_params}
        seeded, dropped = Filters.from_params(params, today, scope, region_names, country_region,
                                              user.role.personal_data, team_office)
        st.session_state.update({
            "f_period": seeded.preset, "f_from_to": (seeded.start, seeded.end), "f_compare": seeded.compare,
            "f_regions": list(seeded.regions), "f_countries": list(seeded.countries),
            "f_teams": list(seeded.teams), "f_offices": list(seeded.offices),
            "f_segments": list(seeded.segments), "f_channels": list(seeded.channels),
            "f_currency": seeded.currency, "filters_seeded": True, "dropped_params": dropped,
        })
    side = st.sidebar
    side.header(t("Filters"))
    preset = side.selectbox(t("Period"), PRESETS, key="f_period", format_func=lambda p: t(PRESET_LABELS[p]))
    if preset == "custom":
        chosen = side.date_input(t("From – to"), key="f_from_to", max_value=today, format="YYYY-MM-DD")
        start, end = (chosen if isinstance(chosen, tuple) and len(chosen) == 2 else (today, today))
    else:
        start, end = preset_window(preset, today)
    compare = side.selectbox(t("Compare with"), COMPARISONS, key="f_compare",
                             format_func=lambda c: t(COMPARISON_LABELS[c]))
    allowed = list(region_names)
    st.session_state["f_regions"] = [r for r in st.session_state.get("f_regions", []) if r in allowed]
    chosen_regions = side.multiselect(t("Regions"), allowed, key="f_regions",
                                      format_func=lambda r: t(region_names[r]),
                                      placeholder=t("All regions you may see"))
    in_regions = set(chosen_regions or allowed)
    country_options = sorted((c for c, r in country_region.items() if r in in_regions),
                             key=lambda c: country_names[c])
    st.session_state["f_countries"] = [c for c in st.session_state.get("f_countries", [])
                                       if c in country_options]
    chosen_countries = side.multiselect(t("Countries"), country_options, key="f_countries",
                                        format_func=country_names.__getitem__,
                                        placeholder=t("All countries"))
    chosen_offices: list[str] = []
    chosen_teams: list[int] = []
    if team_names:
        offices = sorted({o for o in team_office.values() if o})
        st.session_state["f_offices"] = [o for o in st.session_state.get("f_offices", []) if o in offices]
        chosen_offices = side.multiselect(t("Offices"), offices, key="f_offices",
                                          format_func=lambda o: labels.label(o, t, lang),
                                          placeholder=t("All offices")) if offices else []
        team_options = [k for k in team_names if not chosen_offices or team_office[k] in chosen_offices]
        st.session_state["f_teams"] = [k for k in st.session_state.get("f_teams", []) if k in team_options]
        chosen_teams = side.multiselect(t("Teams"), team_options, key="f_teams",
                                        format_func=lambda k: labels.label(team_names[k], t, lang),
                                        placeholder=t("All teams"))
    segments = side.multiselect(t("Segments"), SEGMENTS, key="f_segments", format_func=t,
                                placeholder=t("All segments"))
    channels = side.multiselect(t("Channels"), CHANNELS, key="f_channels",
                                format_func=lambda c: labels.label(c, t, lang),
                                placeholder=t("All channels"),
                                help=t("Applies to interactions, tickets and surveys."))
    currency = side.selectbox(t("Reporting currency"), CURRENCIES, key="f_currency")
    filters = Filters(start=start, end=end, preset=preset, compare=compare, regions=tuple(chosen_regions),
                      countries=tuple(chosen_countries), teams=tuple(chosen_teams), offices=tuple(chosen_offices),
                      segments=tuple(segments), channels=tuple(channels), currency=currency, lang=lang,
                      scope=scope, personal_data=user.role.personal_data)
    own = {k: st.query_params.get(k) for k in st.query_params if k in EXTRA_PARAMS}
    st.query_params.from_dict(filters.to_params() | own)
    return filters


PRESET_LABELS = {"month_to_date": N_("This month to date"), "last_month": N_("Last month"),
                 "quarter_to_date": N_("This quarter to date"), "last_quarter": N_("Last quarter"),
                 "year_to_date": N_("Year to date"), "last_year": N_("Last year"),
                 "last_30_days": N_("Last 30 days"), "last_90_days": N_("Last 90 days"),
                 "last_12_months": N_("Last 12 months"), "custom": N_("Custom")}
COMPARISON_LABELS = {"previous_period": N_("Previous period"),
                     "same_period_last_year": N_("Same period last year")}


def dropped_params_notice(t: Translate) -> None:
    """Once, on the page the link opened: which of its parameters were ignored."""
    dropped = st.session_state.pop("dropped_params", None)
    if dropped:
        st.warning(t("Some link parameters were not valid and were ignored: {params}",
                     params=text.markdown(", ".join(dropped))))
