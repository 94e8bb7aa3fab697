"""Plotly figures of training runs: the live chart of one run, the overlay of several, and their settings
against their accuracy."""
from __future__ import annotations

import math

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from fashion.config import OPTIMIZERS

MAX_POINTS = 400   # per line: enough for a smooth curve, small enough to redraw every second


def thin(xs: list, ys: list) -> tuple[list, list]:
    stride = max(1, len(xs) // MAX_POINTS)
    return xs[::stride], ys[::stride]


def smooth(values: list[float], weight: float = 0.9) -> list[float]:
    """Exponential moving average with bias correction, as TensorBoard draws it."""
    out, avg = [], 0.0
    for i, v in enumerate(values, 1):
        avg = weight * avg + (1 - weight) * v
        out.append(avg / (1 - weight ** i))
    return out


def live_figure(epochs: list[float], losses: list[float], train_acc: list[float],
                eval_epochs: list[float], test_acc: list[float]) -> go.Figure:
    """Loss (raw and smoothed) on the left, train and test accuracy on the right, against epochs."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Loss", "Accuracy"), horizontal_spacing=0.08)
    x, raw = thin(epochs, losses)
    fig.add_trace(go.Scatter(x=x, y=raw, name="loss", line=dict(color="#9ecae1", width=1)), 1, 1)
    fig.add_trace(go.Scatter(x=x, y=thin(epochs, smooth(losses))[1], name="loss (smoothed)",
                             line=dict(color="#08519c", width=2)), 1, 1)
    fig.add_trace(go.Scatter(x=x, y=thin(epochs, train_acc)[1], name="train accuracy",
                             line=dict(color="#fdae6b", width=2)), 1, 2)
    fig.add_trace(go.Scatter(x=eval_epochs, y=test_acc, name="test accuracy", mode="lines+markers",
                             line=dict(color="#d94801", width=3)), 1, 2)
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(rangemode="tozero", row=1, col=1)
    fig.update_yaxes(range=[min([0.5, *train_acc, *test_acc]), 1.0], tickformat=".0%", row=1, col=2)
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.25))
    return fig


def compare_figure(runs: list) -> go.Figure:
    """Test accuracy and smoothed loss of several runs, overlaid."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Test accuracy", "Loss (smoothed)"))
    for i, run in enumerate(runs):
        color = COLORS[i % len(COLORS)]
        c = run.curves
        fig.add_trace(go.Scatter(x=c["eval_epoch"], y=c["test_accuracy"], name=run.name, legendgroup=run.name,
                                 mode="lines+markers", line=dict(color=color)), 1, 1)
        x, y = thin(c["epoch"], smooth(c["loss"]))
        fig.add_trace(go.Scatter(x=x, y=y, name=run.name, legendgroup=run.name, showlegend=False,
                                 line=dict(color=color)), 1, 2)
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(tickformat=".0%", row=1, col=1)
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.25))
    return fig


COLORS = ["#d94801", "#2171b5", "#238b45", "#6a51a3", "#cb181d", "#525252", "#e7298a", "#66a61e"]


def parallel_figure(runs: list) -> go.Figure:
    """Each run as one line through its settings to its final test accuracy, coloured by that accuracy: which
    settings the best runs share. Names become numbered ticks; the learning rate is on a log scale."""
    configs = [run.config for run in runs]
    accuracy = [run.accuracy for run in runs]
    dimensions = [
        categories("architecture", [run.architecture for run in runs]),
        dict(label="epochs", values=[c["epochs"] for c in configs]),
        dict(label="batch size", values=[c["batch_size"] for c in configs]),
        log_scale("learning rate", [c["lr"] for c in configs]),
        categories("optimizer", [c["optimizer"] for c in configs], OPTIMIZERS),
        categories("augmentation", ["on" if c["augment"] else "off" for c in configs], ("off", "on")),
        dict(label="seed", values=[c["seed"] for c in configs]),
        dict(label="test accuracy", values=accuracy, tickformat=".1%"),
    ]
    fig = go.Figure(go.Parcoords(dimensions=dimensions, line=dict(
        color=accuracy, colorscale="Viridis", showscale=True, colorbar=dict(title="test accuracy", tickformat=".0%"))))
    fig.update_layout(height=380, margin=dict(l=150, r=40, t=60, b=30),
                      title=dict(text="Settings against final test accuracy, one line per run", font=dict(size=14)))
    return fig


def categories(label: str, values: list[str], order: tuple[str, ...] = ()) -> dict:
    """A parallel-coordinates axis of names: each a number, labelled with its name (all of `order`, then any
    others in the order they come)."""
    names = list(dict.fromkeys([*order, *values]))
    return dict(label=label, values=[names.index(v) for v in values], tickvals=list(range(len(names))),
                ticktext=names, range=[0, max(1, len(names) - 1)])


def log_scale(label: str, values: list[float]) -> dict:
    """A parallel-coordinates axis in log10 (Plotly's has no log type), ticked at the values the runs have."""
    ticks = sorted(set(values))
    return dict(label=label, values=[math.log10(v) for v in values], tickvals=[math.log10(v) for v in ticks],
                ticktext=[f"{v:g}" for v in ticks])
