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


def live_figure(epochs: list[float], losses: list[float], train_acc: list[float], eval_epochs: list[float],
                test_acc: list[float], lrs: list[float], nudges: list[tuple[float, float]] = ()) -> go.Figure:
    """Loss (raw and smoothed) with the learning rate under it on the left, train and test accuracy on the
    right, against epochs; each learning-rate nudge (epoch, factor) a dotted line marked x0.5 or x2."""
    fig = make_subplots(rows=2, cols=2, specs=[[{}, {"rowspan": 2}], [{}, None]], row_heights=[0.68, 0.32],
                        subplot_titles=("Loss", "Accuracy", "Learning rate"), horizontal_spacing=0.08,
                        vertical_spacing=0.12, shared_xaxes=True)
    x, raw = thin(epochs, losses)
    fig.add_trace(go.Scatter(x=x, y=raw, name="loss", line=dict(color="#9ecae1", width=1)), 1, 1)
    fig.add_trace(go.Scatter(x=x, y=thin(epochs, smooth(losses))[1], name="loss (smoothed)",
                             line=dict(color="#08519c", width=2)), 1, 1)
    fig.add_trace(go.Scatter(x=x, y=thin(epochs, lrs)[1], name="learning rate", line=dict(color="#756bb1", width=2)),
                  2, 1)
    fig.add_trace(go.Scatter(x=x, y=thin(epochs, train_acc)[1], name="train accuracy",
                             line=dict(color="#fdae6b", width=2)), 1, 2)
    fig.add_trace(go.Scatter(x=eval_epochs, y=test_acc, name="test accuracy", mode="lines+markers",
                             line=dict(color="#d94801", width=3)), 1, 2)
    mark_nudges(fig, nudges)
    fig.update_xaxes(title_text="epoch", row=2, col=1)
    fig.update_xaxes(title_text="epoch", row=1, col=2)
    fig.update_yaxes(rangemode="tozero", row=1, col=1)
    fig.update_yaxes(rangemode="tozero", row=2, col=1)
    fig.update_yaxes(range=[min([0.5, *train_acc, *test_acc]), 1.0], tickformat=".0%", row=1, col=2)
    fig.update_layout(height=440, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.15))
    return fig


def mark_nudges(fig: go.Figure, nudges) -> None:
    """A dotted line at each nudge (epoch, factor) across the loss and learning-rate plots."""
    line = dict(color="#54278f", dash="dot", width=1)
    for epoch, factor in nudges:
        fig.add_vline(x=epoch, line=line, row=1, col=1, annotation_text=f"lr x{factor:g}",
                      annotation_font_size=11)
        fig.add_vline(x=epoch, line=line, row=2, col=1)


def compare_figure(runs: list) -> go.Figure:
    """Test accuracy and smoothed loss of several runs, overlaid; a continued run goes on from where its
    parent ended on the epoch axis, dashed, joined to its parent's last point."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Test accuracy", "Loss (smoothed)"))
    ends = {run.number: run for run in runs}
    for i, run in enumerate(runs):
        style = dict(color=COLORS[i % len(COLORS)], dash="dash" if run.parent is not None else None)
        c, offset = run.curves, run.start_epoch
        eval_x, eval_y = [e + offset for e in c["eval_epoch"]], list(c["test_accuracy"])
        if (parent := ends.get(run.parent)) is not None and parent.curves["eval_epoch"]:
            eval_x, eval_y = [parent.end_epoch, *eval_x], [parent.curves["test_accuracy"][-1], *eval_y]
        fig.add_trace(go.Scatter(x=eval_x, y=eval_y, name=run.name, legendgroup=run.name,
                                 mode="lines+markers", line=style), 1, 1)
        x, y = thin([e + offset for e in c["epoch"]], smooth(c["loss"]))
        fig.add_trace(go.Scatter(x=x, y=y, name=run.name, legendgroup=run.name, showlegend=False,
                                 line=style), 1, 2)
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(tickformat=".0%", row=1, col=1)
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.25))
    return fig


def sweep_figure(lrs: list[float], losses: list[float], suggested: float | None) -> go.Figure:
    """The learning-rate finder's curve: smoothed loss against learning rate on a log axis, the suggestion marked."""
    fig = go.Figure(go.Scatter(x=lrs, y=losses, name="loss (smoothed)", line=dict(color="#08519c", width=2)))
    top = min(max(losses, default=3.0), 2 * losses[0]) * 1.05 if losses else 3.0     # a diverging tail stays in view
    if suggested is not None:
        fig.add_trace(go.Scatter(x=[suggested, suggested], y=[0, top], mode="lines+text", name="suggested",
                                 line=dict(color="#d94801", dash="dash"), text=["", f"suggested {suggested:.3g}"],
                                 textposition="bottom right"))
    fig.update_xaxes(type="log", title_text="learning rate")
    fig.update_yaxes(title_text="loss (smoothed)", range=[0, top])
    fig.update_layout(height=300, margin=dict(l=10, r=10, t=20, b=10), showlegend=False)
    return fig


COLORS = ["#d94801", "#2171b5", "#238b45", "#6a51a3", "#cb181d", "#525252", "#e7298a", "#66a61e"]


def parallel_figure(runs: list) -> go.Figure:
    """Each run as one line through its settings to its final test accuracy, coloured by that accuracy: which
    settings the best runs share. Names become numbered ticks; the learning rate is on a log scale."""
    configs = [run.config for run in runs]
    accuracy = [run.accuracy for run in runs]
    dimensions = [
        categories("architecture", [run.architecture for run in runs]),
        numbers("epochs", [c["epochs"] for c in configs]),
        numbers("batch size", [c["batch_size"] for c in configs]),
        log_scale("learning rate", [c["lr"] for c in configs]),
        categories("optimizer", [c["optimizer"] for c in configs], OPTIMIZERS),
        categories("augmentation", ["on" if c["augment"] else "off" for c in configs], ("off", "on")),
        numbers("seed", [c["seed"] for c in configs]),
        numbers("test accuracy", accuracy, tickformat=".1%"),
    ]
    fig = go.Figure(go.Parcoords(dimensions=dimensions, line=dict(
        color=accuracy, colorscale="Viridis", showscale=True, colorbar=dict(title="test accuracy", tickformat=".0%"))))
    fig.update_layout(height=420, margin=dict(l=150, r=40, t=110, b=30),
                      title=dict(text="Settings against final test accuracy, one line per run", font=dict(size=14)))
    return fig


def numbers(label: str, values: list[float], **style) -> dict:
    """A parallel-coordinates axis of numbers. One that every run shares is ticked at that value alone and
    centred: Plotly would otherwise tick a made-up scale around it (230 to 280 when every run has batch 256)."""
    axis = dict(label=label, values=values, **style)
    if len(set(values)) == 1:
        value = values[0]
        axis.update(tickvals=[value], range=[value - (abs(value) / 10 or 1), value + (abs(value) / 10 or 1)])
    return axis


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
