"""Figures and pictures the tabs show: Plotly charts from plain lists, and crisp views of 28x28 images.

Everything here is a plain function (no Streamlit), so any tab can reuse it and tests can call it.
"""
from __future__ import annotations

import base64

import cv2
import numpy as np
import plotly.graph_objects as go

from fashion.classes import CLASS_NAMES

ACCENT = "#e4572e"
BAR = "#4c78a8"


def confusion_figure(confusion: list[list[int]], title: str = "Confusion matrix") -> go.Figure:
    """Counts of (true, predicted) pairs; each cell can be clicked (points selection) to pick that pair."""
    counts = np.asarray(confusion, dtype=int)
    n = len(counts)
    names = list(CLASS_NAMES[:n])
    off_diagonal = counts[~np.eye(n, dtype=bool)]
    # The diagonal (correct answers) dwarfs the mistakes; cap the colour scale so the mistakes show.
    zmax = max(int(off_diagonal.max()) if off_diagonal.size else 1, 1)
    figure = go.Figure(go.Heatmap(
        z=counts, x=names, y=names, zmin=0, zmax=zmax, colorscale="Reds", showscale=False,
        text=counts, texttemplate="%{text}", hoverinfo="skip",
    ))
    # Heatmap cells send no selection events to Streamlit, so an invisible marker sits on each cell.
    true_idx, pred_idx = np.divmod(np.arange(n * n), n)
    figure.add_trace(go.Scatter(
        x=[names[j] for j in pred_idx], y=[names[i] for i in true_idx], mode="markers",
        marker=dict(symbol="square", size=28, color="rgba(0,0,0,0)"),
        customdata=np.stack([true_idx, pred_idx, counts.ravel()], axis=1),
        hovertemplate="True: %{y}<br>Predicted: %{x}<br>%{customdata[2]} images<extra></extra>",
        # A clicked cell gets a faint blue tint; the figure itself never changes with the filters, since
        # a new figure would reset the chart and swallow the next click.
        selected=dict(marker=dict(color="rgba(31,119,180,0.35)")), unselected=dict(marker=dict(opacity=1)),
        showlegend=False,
    ))
    figure.update_layout(
        title=title, height=460, margin=dict(l=10, r=10, t=40, b=10), clickmode="event+select",
        dragmode=False, xaxis=dict(title="Predicted", side="bottom", tickangle=-40),
        yaxis=dict(title="True", autorange="reversed"), plot_bgcolor="white",
    )
    return figure


def class_bars(values: list[float], highlight: int, **bar_options) -> go.Figure:
    """One horizontal bar per class, in class order, with the bar at `highlight` in the accent colour."""
    return go.Figure(go.Bar(
        x=values, y=list(CLASS_NAMES[:len(values)]), orientation="h",
        marker_color=[ACCENT if i == highlight else BAR for i in range(len(values))],
        text=[f"{v:.0%}" for v in values], hovertemplate="%{y}: %{x:.1%}<extra></extra>", **bar_options,
    ))


def per_class_figure(per_class: list[float], title: str = "Accuracy per class") -> go.Figure:
    """Horizontal bars of each class's accuracy, worst class highlighted."""
    values = [float(v) for v in per_class]
    figure = class_bars(values, int(np.argmin(values)) if values else -1, textposition="auto")
    figure.update_layout(
        title=title, height=460, margin=dict(l=10, r=10, t=40, b=10),
        xaxis=dict(range=[0, 1], tickformat=".0%"), yaxis=dict(autorange="reversed"),
    )
    return figure


def probability_figure(probs: list[float], title: str = "") -> go.Figure:
    """Bars of all ten class probabilities, the predicted class highlighted."""
    values = [float(p) for p in probs]
    figure = class_bars(values, int(np.argmax(values)) if values else -1, textposition="outside", cliponaxis=False)
    figure.update_layout(
        title=title or None, height=320, margin=dict(l=10, r=40, t=30 if title else 10, b=10),
        xaxis=dict(range=[0, 1], tickformat=".0%"), yaxis=dict(autorange="reversed"),
    )
    return figure


# Ten colours a reader can tell apart (Plotly's "D3" set), one per class, in class order.
CLASS_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                 "#bcbd22", "#17becf")


def embedding_figure(points: np.ndarray, true: np.ndarray, predicted: np.ndarray,
                     star: tuple[float, float] | None = None) -> go.Figure:
    """Test images (N, 2) on the embedding map, coloured by true class, mistakes ringed in black; `star` marks
    the Classify tab's input. Each point's customdata is its test index, for box and lasso selections."""
    figure = go.Figure()
    index = np.arange(len(points))
    for c, name in enumerate(CLASS_NAMES):
        mine = true == c
        wrong = mine & (predicted != true)
        figure.add_trace(go.Scattergl(
            x=points[mine, 0], y=points[mine, 1], mode="markers", name=name, customdata=index[mine],
            marker=dict(size=np.where(wrong[mine], 7, 4), color=CLASS_COLOURS[c],
                        line=dict(width=np.where(wrong[mine], 1.5, 0), color="black")),
            text=[f"#{i}: {name}" + (f", taken for {CLASS_NAMES[predicted[i]]}" if true[i] != predicted[i] else "")
                  for i in index[mine]],
            hovertemplate="%{text}<extra></extra>",
        ))
    if star is not None:
        figure.add_trace(go.Scatter(x=[star[0]], y=[star[1]], mode="markers", name="Your input",
                                    marker=dict(symbol="star", size=20, color="gold", line=dict(width=1.5,
                                                                                                color="black")),
                                    hovertemplate="Your input (Classify tab)<extra></extra>"))
    figure.update_layout(
        height=520, margin=dict(l=10, r=10, t=30, b=10), dragmode="lasso", legend=dict(itemsizing="constant"),
        xaxis=dict(title="first main direction", zeroline=False), yaxis=dict(title="second", zeroline=False),
        plot_bgcolor="white",
    )
    return figure


# A precision-recall curve has a point for each test image; the eye cannot tell 200 from 10,000 a class,
# and ten classes of 10,000 points would make the page megabytes heavier.
CURVE_POINTS = 200


def thin_curve(recall: np.ndarray, precision: np.ndarray, points: int = CURVE_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """About `points` points of a precision-recall curve, evenly spread in recall, its two ends kept."""
    if len(recall) <= points:
        return recall, precision
    picked = np.searchsorted(recall, np.linspace(0.0, 1.0, points)).clip(0, len(recall) - 1)
    keep = np.unique(np.concatenate([[0, len(recall) - 1], picked]))
    return recall[keep], precision[keep]


def pr_figure(recall: list[np.ndarray], precision: list[np.ndarray], average_precision: list[float]) -> go.Figure:
    """One precision-recall curve per class (that class against the rest), its average precision in the legend."""
    figure = go.Figure()
    for c, (r, p, ap) in enumerate(zip(recall, precision, average_precision, strict=True)):
        r, p = thin_curve(np.asarray(r), np.asarray(p))
        figure.add_trace(go.Scatter(
            x=r, y=p, mode="lines", name=f"{CLASS_NAMES[c]} (AP {ap:.3f})", line=dict(color=CLASS_COLOURS[c]),
            hovertemplate=f"{CLASS_NAMES[c]}<br>recall %{{x:.3f}}<br>precision %{{y:.3f}}<extra></extra>",
        ))
    mean = float(np.mean(average_precision)) if average_precision else float("nan")
    figure.update_layout(
        title=f"Precision-recall, one class against the rest (mean AP {mean:.3f})", height=460,
        margin=dict(l=10, r=10, t=40, b=10), plot_bgcolor="white",
        xaxis=dict(title="recall", range=[0, 1.01], gridcolor="#eee"),
        yaxis=dict(title="precision", range=[0, 1.01], gridcolor="#eee"),
        # A good model's curves hug the top and the right edge: the legend goes in the empty corner, not
        # beside the plot, where it would take a third of its width.
        legend=dict(x=0.02, y=0.02, xanchor="left", yanchor="bottom", bgcolor="rgba(255,255,255,0.8)"),
    )
    return figure


def reliability_figure(confidence: list[float], accuracy: list[float], count: list[int], ece: float) -> go.Figure:
    """Accuracy in each equal-width confidence bin as bars, against the diagonal a calibrated model sits on;
    a bar below the diagonal is overconfidence, above it underconfidence."""
    bins = len(count)
    used = [k for k in range(bins) if count[k]]
    figure = go.Figure(go.Bar(
        x=[(k + 0.5) / bins for k in used], y=[accuracy[k] for k in used], width=1 / bins, name="accuracy",
        marker_color=BAR, customdata=[[confidence[k], count[k]] for k in used],
        hovertemplate="accuracy %{y:.1%}<br>mean confidence %{customdata[0]:.1%}<br>%{customdata[1]:,} images"
                      "<extra></extra>",
    ))
    figure.add_trace(go.Scatter(
        x=[confidence[k] for k in used], y=[accuracy[k] for k in used], mode="markers", name="mean confidence",
        marker=dict(color=ACCENT, size=7), hoverinfo="skip",
    ))
    figure.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="calibrated",
                                line=dict(color="black", dash="dash"), hoverinfo="skip"))
    figure.update_layout(
        title=f"Reliability: accuracy against confidence (ECE {ece:.3f})", height=460,
        margin=dict(l=10, r=10, t=40, b=10), plot_bgcolor="white", bargap=0,
        xaxis=dict(title="confidence (top probability)", range=[0, 1], tickformat=".0%", gridcolor="#eee"),
        yaxis=dict(title="accuracy", range=[0, 1], tickformat=".0%", gridcolor="#eee"),
        legend=dict(x=0.02, y=0.98),
    )
    return figure


def to_uint8(image: np.ndarray) -> np.ndarray:
    """A [0, 1] float image (or a uint8 one) as uint8."""
    if image.dtype == np.uint8:
        return image
    return (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def data_url(image: np.ndarray, photo: bool = False) -> str:
    """The picture (H x W grey or H x W x 3 RGB, uint8) as a `data:` URL for st.image: PNG, or JPEG for a photo.

    Streamlit serves image arrays as media files and deletes them when a rerun is cut short by the
    next one, while the browser may still be fetching them: broken tiles and 404s. A data URL travels
    with the page itself, and these pictures are small (a 28x28 view enlarged is a few kB as PNG).
    """
    pixels = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    kind = "jpeg" if photo else "png"
    ok, encoded = cv2.imencode("." + kind, pixels, [cv2.IMWRITE_JPEG_QUALITY, 90] if photo else [])
    if not ok:
        raise ValueError(f"Could not encode a {image.shape} image as {kind.upper()}.")
    return f"data:image/{kind};base64," + base64.b64encode(encoded.tobytes()).decode("ascii")


def upscale(image: np.ndarray, size: int = 224) -> np.ndarray:
    """Nearest-neighbour enlargement by a whole factor, so every model pixel stays a crisp square."""
    factor = max(1, size // max(image.shape[:2]))
    return np.repeat(np.repeat(to_uint8(image), factor, axis=0), factor, axis=1)


def tile(images: np.ndarray, columns: int, cell: int = 84, gap: int = 4) -> np.ndarray:
    """Images (N, 28, 28) enlarged to `cell` px and laid out in rows of `columns`, on a white ground."""
    rows = -(-len(images) // columns)
    step = cell + gap
    sheet = np.full((rows * step - gap, columns * step - gap), 255, np.uint8)
    for i, image in enumerate(images):
        big = upscale(image, cell)
        top, left = (i // columns) * step, (i % columns) * step
        sheet[top:top + big.shape[0], left:left + big.shape[1]] = big
    return sheet


def saliency_overlay(image: np.ndarray, heat: np.ndarray, size: int = 224, strength: float = 0.75) -> np.ndarray:
    """The 28x28 view in grey with the saliency map (28x28 in [0, 1]) laid over it in warm colours."""
    gray = np.repeat(to_uint8(image)[..., None], 3, axis=2).astype(np.float32)
    colours = cv2.applyColorMap(to_uint8(heat), cv2.COLORMAP_INFERNO)[..., ::-1].astype(np.float32)
    weight = strength * np.clip(heat, 0.0, 1.0)[..., None]
    # Faint heat leaves the pixel grey; strong heat takes the colour map's hue.
    blended = gray * (1.0 - weight) + colours * weight
    return upscale(blended.astype(np.uint8), size)


def photo_overlay(rgb: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int], max_side: int = 480,
                  tint: tuple[int, int, int] = (0, 190, 255)) -> np.ndarray:
    """The photo, at most max_side px, with the found item tinted and outlined and its box drawn."""
    scale = min(1.0, max_side / max(rgb.shape[:2]))
    if scale < 1.0:
        size = (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale)))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        mask = cv2.resize(mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST).astype(bool)
    out = rgb.astype(np.float32)
    out[mask] = out[mask] * 0.65 + np.float32(tint) * 0.35
    out = np.ascontiguousarray(out.astype(np.uint8))
    thickness = max(2, round(max(out.shape[:2]) / 160))
    # The mask's edge in the tint colour: a tint alone vanishes on a garment of a similar colour.
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(out, contours, -1, tint, thickness)
    x0, y0, x1, y1 = (round(v * scale) for v in box)
    cv2.rectangle(out, (x0, y0), (max(x0, x1 - 1), max(y0, y1 - 1)), (255, 255, 255), max(1, thickness // 2))
    return out
