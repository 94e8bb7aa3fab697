"""Two ways to fill the Train tab's settings besides by hand: a preset a teacher would demo, and a link that
carries them in the page's URL.

The presets and the link's text are the package's (fashion/presets.py, fashion/share.py); this module puts
their values into the widgets' keys before the widgets are drawn, and keeps the URL in step with the settings.
`keys` is the tab's map of setting name to widget key; the design goes to the builder (builder_view.fill).
"""
from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from fashion import share
from fashion.config import Setting, TrainConfig
from fashion.presets import PRESETS, Preset
from fashion.ui import builder_view

LINK_READ = "train_link_read"       # session_state: this session has read its link (at its first run)


def fill(values: dict, keys: dict[str, str]) -> None:
    """Settings (name -> value, and `spec` -> a design) into their widgets' session_state."""
    for name, value in values.items():
        if name in keys:
            st.session_state[keys[name]] = value
    if share.SPEC in values:
        builder_view.fill(values[share.SPEC])


def read_link(keys: dict[str, str], shown: list[Setting]) -> None:
    """At a session's first run, the settings its link gives, held to the bounds the tab shows; a value refused
    gets a sentence, and its setting its default. The owner's id (state.OWNER_PARAM) is not a setting: untouched."""
    if LINK_READ in st.session_state:
        return
    st.session_state[LINK_READ] = True
    values, problems = share.decode(st.query_params.to_dict(), shown)
    fill(values, keys)
    for problem in problems:
        st.warning(problem)


def write_link(config: TrainConfig, keys: dict[str, str]) -> None:
    """The settings shown, those that differ from the defaults, into the page's URL (a reload or a copy of the
    address keeps them); other parameters, the owner's id among them, are left as they are."""
    wanted = share.link_of(config, keys)
    for name in [*keys, share.SPEC]:
        if name in wanted and st.query_params.get(name) != wanted[name]:
            st.query_params[name] = wanted[name]
        elif name not in wanted and name in st.query_params:
            del st.query_params[name]


def share_link(config: TrainConfig, keys: dict[str, str]) -> None:
    """The link to these settings, to copy (st.code has a copy button): the address bar's, less the owner's id,
    which would open this person's runs to whoever has it."""
    query = urlencode(share.link_of(config, keys))
    st.code((st.context.url or "") + (f"?{query}" if query else ""), language=None, wrap_lines=True)
    st.caption("Whoever opens it gets these settings, and the same seed trains the same model. The address bar "
               "holds them too, with your id, which opens your runs: share this link instead.")


def preset_picker(keys: dict[str, str], chosen: TrainConfig) -> None:
    """A preset, filling the settings below when chosen, and what to watch for in its run. It shows only while
    the settings are still the preset's, so that choosing it again after a change fills them again."""
    preset = PRESETS.get(st.session_state.get("train_preset"))
    if preset is not None and chosen != preset.config:
        st.session_state.train_preset = preset = None
    c1, c2 = st.columns([1, 3], vertical_alignment="bottom")
    c1.selectbox("Preset", list(PRESETS), index=None, placeholder="Choose a recipe to demo", key="train_preset",
                 on_change=apply_preset, args=(keys,),
                 help="Fills the settings below with a recipe worth watching; change any of them after.")
    if preset is not None:
        c2.info(preset.watch, icon=":material/school:")


def apply_preset(keys: dict[str, str]) -> None:
    if (preset := PRESETS.get(st.session_state.get("train_preset"))) is not None:
        fill(preset_values(preset, keys), keys)


def preset_values(preset: Preset, keys: dict[str, str]) -> dict:
    values = {name: getattr(preset.config, name) for name in keys}
    return values | ({share.SPEC: preset.config.spec} if preset.config.spec is not None else {})
