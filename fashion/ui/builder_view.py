"""The Train tab's architecture builder: a custom CNN's design, its layer table, its size, and its time per
epoch on this machine.

The controls and the table need no PyTorch (fashion.spec works them out by arithmetic), so they draw with
the first page; only the time per epoch does, measured when asked for and kept per design and settings.
"""
from __future__ import annotations

import json
from dataclasses import asdict

import streamlit as st

from fashion.config import CUSTOM, TrainConfig
from fashion.spec import HEADS, MAX_BLOCKS, MAX_MACS, MAX_PARAMS, CustomSpec, layers, spec_setting, totals
from fashion.ui import state, warm_up

DEFAULTS = CustomSpec()
# Channels offered to a block that is switched on: the default design's, then doubled once more.
BLOCK_CHANNELS = (*DEFAULTS.channels, DEFAULTS.channels[-1] * 2)
KEYS = {name: f"train_builder_{name}" for name in
        ("blocks", "kernel", "pool", "batch_norm", "residual", "head", "hidden", "dropout")}
CHANNEL_KEYS = tuple(f"train_builder_channels_{n}" for n in range(1, MAX_BLOCKS + 1))
POOL_LABELS = {"max": "max-pool", "avg": "average pool", "stride": "strided convolution"}
PROBES = "train_builder_probes"      # session_state: probe results per design and settings


def chosen_spec() -> CustomSpec:
    """The design the controls describe, read from st.session_state (defaults before they are drawn);
    not validated: TrainConfig.validate is, where the run is submitted."""
    value = st.session_state.get
    channels = [int(value(key, default)) for key, default in zip(CHANNEL_KEYS, BLOCK_CHANNELS, strict=True)]
    # Cast to each field's type, whatever number type a widget hands back.
    return CustomSpec(channels=tuple(channels[:value(KEYS["blocks"], DEFAULTS.blocks)]),
                      **{name: type(getattr(DEFAULTS, name))(value(key, getattr(DEFAULTS, name)))
                         for name, key in KEYS.items() if name != "blocks"})


def fill(spec: CustomSpec) -> None:
    """Set the controls to a design (a preset's, a link's) before they are drawn; blocks past the design's keep
    their channels."""
    st.session_state[KEYS["blocks"]] = spec.blocks
    for key, channels in zip(CHANNEL_KEYS, spec.channels, strict=False):
        st.session_state[key] = channels
    for name, key in KEYS.items():
        if name != "blocks":
            st.session_state[key] = getattr(spec, name)


def keep_state() -> None:
    """Keep the design while the builder is not drawn: Streamlit forgets the values of widgets it did not draw,
    but not values set in session_state."""
    for key in (*KEYS.values(), *CHANNEL_KEYS):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def render(config: TrainConfig) -> None:
    """The builder for `config`, the settings chosen above (with the design, for arch "custom"); for a named
    architecture, only a pointer to it."""
    with st.container(key="train_builder"):
        if config.arch != CUSTOM:
            keep_state()
            st.caption("Or design your own network: choose **custom** as the architecture.")
            return
        st.markdown("**Your network.** Each block is a convolution whose map is halved; the head turns the last "
                    "map into ten class scores. Start trains it with the settings above.")
        controls()
        spec = config.spec or chosen_spec()
        table(spec)
        params, macs = totals(spec)
        m1, m2, m3 = st.columns(3)
        m1.metric("Parameters", f"{params:,}", help=f"At most {MAX_PARAMS:,}; the fast preset has 29,178.")
        m2.metric("Multiply-adds per image", f"{macs / 1e6:.2f} M",
                  help=f"At most {MAX_MACS / 1e6:,.0f} million; the fast preset takes 1.92 million.")
        try:
            spec.validate()
        except ValueError as e:
            st.error(str(e))
            return
        timing(config, m3)
        with st.expander("This design as JSON, for `python -m fashion train --spec FILE`"):
            st.code(json.dumps(asdict(spec)), language="json")


def controls() -> None:
    row = st.columns(4)
    row[0].slider("Conv blocks", 1, MAX_BLOCKS, DEFAULTS.blocks, key=KEYS["blocks"],
                  help=f"1 to {MAX_BLOCKS}: each halves the 28×28 map (28, 14, 7, 3, 1); a fifth would leave nothing.")
    choice(row[1], "kernel", lambda k: f"{k}×{k}")
    choice(row[2], "pool", POOL_LABELS.get)
    choice(row[3], "head", HEADS.get)
    blocks = st.session_state.get(KEYS["blocks"], DEFAULTS.blocks)
    channels = spec_setting("channels")
    for number, (column, key, default) in enumerate(zip(st.columns(4), CHANNEL_KEYS, BLOCK_CHANNELS, strict=True), 1):
        column.select_slider(f"Block {number} channels", state.offered(channels.presets, default, key), default,
                             key=key, help=channels.help, disabled=number > blocks)
    row = st.columns(4)
    for column, name in zip(row[:2], ("batch_norm", "residual"), strict=True):
        described = spec_setting(name)
        column.toggle(described.label, described.default, key=KEYS[name], help=described.help)
    described = spec_setting("dropout")
    row[2].slider(described.label, *described.bounds, described.default, step=0.05, key=KEYS["dropout"],
                  help=described.help)
    described = spec_setting("hidden")
    row[3].select_slider(described.label, state.offered(described.presets, described.default, KEYS["hidden"]),
                         described.default, key=KEYS["hidden"],
                         help=described.help, disabled=st.session_state.get(KEYS["head"], DEFAULTS.head) != "hidden")


def choice(column, name: str, label) -> None:
    described = spec_setting(name)
    column.selectbox(described.label, described.choices, index=described.choices.index(described.default),
                     key=KEYS[name], format_func=label, help=described.help)


def table(spec: CustomSpec) -> None:
    """Layer by layer: what each makes of one image, and what it learns."""
    st.table([{"layer": row.name, "output shape": "×".join(map(str, row.shape)), "parameters": f"{row.params:,}",
               "multiply-adds": f"{row.macs:,}"} for row in layers(spec)])


def timing(config: TrainConfig, slot) -> None:
    """The time per epoch in `slot`, measured on request (a second or a few, in this page's script run) and kept
    for this design and these settings."""
    key = (config.spec, config.batch_size, config.augment, config.bf16, config.eval_every, config.optimizer)
    probes = st.session_state.setdefault(PROBES, {})
    if st.button("Measure the time per epoch", key="train_builder_probe", icon=":material/timer:",
                 help="Times a few training steps of one batch here, and extrapolates to an epoch."):
        warm_up.wait_for_torch()          # the first page draws before PyTorch has loaded
        from fashion.probe import measure

        with st.spinner("Timing a few training steps…"):
            probes[key] = measure(config, state.device())
    probe = probes.get(key)
    if probe is None:
        slot.metric("Time per epoch", "—", help="Press the button below to measure it on this machine.")
        return
    slot.metric("Time per epoch (estimate)", f"{probe.epoch_s:.1f} s" if probe.epoch_s < 10 else
                f"{probe.epoch_s:,.0f} s")
    steps, evals = config.steps_per_epoch(), config.steps_per_epoch() // config.eval_every
    st.caption(f"An estimate: {probe.steps} training steps of {probe.images} images timed on {state.device()} "
               f"({probe.threads} torch thread{'s' if probe.threads > 1 else ''}), "
               f"{probe.step_s * 1000:,.0f} ms a step of {config.batch_size}, times the {steps} steps of an epoch, "
               f"plus {evals} evaluation{'s' if evals != 1 else ''} on the test images ({probe.eval_s:.1f} s each): "
               f"about {probe.epoch_s * config.epochs:,.0f} s for the {config.epochs} "
               f"epoch{'s' if config.epochs > 1 else ''} set. Runs training on this server slow it, and it them.")
