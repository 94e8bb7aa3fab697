"""Precision, recall and calibration of one model on the test images: a table and two charts, wherever a
model is shown (the Mistakes tab's chosen model, a finished run in the Train tab)."""
from __future__ import annotations

import streamlit as st
import torch

from fashion.classes import CLASS_NAMES
from fashion.metrics import MetricsReport, metrics_report
from fashion.ui import charts

MACRO = "Macro average"
ROW_PX = 35            # st.dataframe's row height: the table is made tall enough for all its rows, macro included
EXPLAINED = ("**Precision**: of the images the model gave a class, the share that are of it. **Recall**: of a "
             "class's images, the share the model found (its accuracy on that class). **F1** is their harmonic "
             "mean; the macro row weighs every class the same. A class the model never names has precision 0.")
CURVES_EXPLAINED = ("Each curve ranks the test images by one class's probability: lowering the threshold finds "
                    "more of the class (recall) and lets in more others (precision). Average precision (AP) is the "
                    "area under the curve, 1 for a perfect ranking. In the reliability diagram, each bar is the "
                    "accuracy of the answers given with a confidence in its range: a calibrated model's bars touch "
                    "the diagonal, bars under it mean overconfidence, over it underconfidence. The expected "
                    "calibration error (ECE) is the gap, weighted by the images in each range.")


def table_rows(report: MetricsReport) -> list[dict]:
    """One row per class, in class order, then the macro averages (with all the images as support)."""
    rows = [{"class": name, "precision": p, "recall": r, "F1": f, "support": n}
            for name, p, r, f, n in zip(CLASS_NAMES, report.precision, report.recall, report.f1, report.support,
                                        strict=True)]
    rows.append({"class": MACRO, "precision": report.macro_precision, "recall": report.macro_recall,
                 "F1": report.macro_f1, "support": sum(report.support)})
    return rows


def render(name: str, probs: torch.Tensor, labels: torch.Tensor, key: str = "metrics_report") -> None:
    """The table, the precision-recall curves and the reliability diagram of the model called `name`, from its
    test probabilities, in a container named `key` (one such key a page: the Mistakes tab's is metrics_report,
    a run's in the Train tab metrics_report_run)."""
    # The report and its two figures take 60 ms: once per model and view, not on every rerun of the tab.
    # The probabilities' identity too: a model of the same name later (a run dropped, a file loaded again)
    # brings its own tensor.
    cache, drawn = st.session_state.setdefault(f"{key}_drawn", {}), (name, id(probs))
    if drawn not in cache:
        cache.clear()
        report = metrics_report(probs, labels)
        cache[drawn] = (table_rows(report),
                       charts.pr_figure(report.curve_recall, report.curve_precision, report.average_precision),
                       charts.reliability_figure(report.bin_confidence, report.bin_accuracy, report.bin_count,
                                                 report.ece))
    rows, pr, reliability = cache[drawn]
    with st.container(key=key):
        st.markdown(EXPLAINED)
        score = st.column_config.NumberColumn(format="%.3f")
        st.dataframe(rows, hide_index=True, width="stretch", height=ROW_PX * (len(rows) + 1) + 3,
                     column_config={"precision": score, "recall": score, "F1": score})
        st.caption(CURVES_EXPLAINED)
        left, right = st.columns(2)
        left.plotly_chart(pr, key=f"{key}_pr")
        right.plotly_chart(reliability, key=f"{key}_reliability")
