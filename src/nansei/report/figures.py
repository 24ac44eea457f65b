"""Report figures: campaign distributions and tornado charts, static and interactive.

Static figures (matplotlib) go to files as SVG and PNG for papers; interactive ones
(plotly) go into the report page. Both are drawn from the same numbers: per-replication
values (a histogram of each metric by posture year, and its empirical CDF) and the
sensitivity JSON (a tornado of each parameter's low/high swing). Every static figure
carries a source line. Nothing here reads or writes files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

#: One colour per posture year, in order (Okabe & Ito 2008 colour-blind-safe; grey first
#: so the baseline year reads as the reference).
YEAR_COLOURS = ("#7f7f7f", "#56B4E9", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00")

#: Above this many distinct integer values a metric is binned rather than counted per value.
MAX_DISCRETE_VALUES = 60
MAX_BINS = 40


def year_colour(index: int) -> str:
    return YEAR_COLOURS[index % len(YEAR_COLOURS)]


def finite(values: Any) -> np.ndarray:
    array = np.asarray(values, dtype=float).ravel()
    return array[np.isfinite(array)]


def histogram_bins(samples: Sequence[np.ndarray]) -> tuple[str, np.ndarray]:
    """How to count a metric over all years: ``("values", distinct values)`` when it is
    integer-valued with few values, else ``("bins", shared bin edges)``."""
    pooled = np.concatenate([s for s in samples if s.size] or [np.zeros(0)])
    if pooled.size == 0:
        return "values", np.zeros(0)
    distinct = np.unique(pooled)
    if np.all(distinct == np.round(distinct)) and distinct.size <= MAX_DISCRETE_VALUES:
        return "values", distinct
    edges = np.histogram_bin_edges(pooled, bins="auto")
    if edges.size - 1 > MAX_BINS:
        edges = np.linspace(pooled.min(), pooled.max(), MAX_BINS + 1)
    return "bins", edges


def shares(sample: np.ndarray, kind: str, support: np.ndarray) -> np.ndarray:
    """Share of replications at each value (``values``) or in each bin (``bins``)."""
    if sample.size == 0:
        return np.zeros(len(support) if kind == "values" else max(len(support) - 1, 0))
    if kind == "values":
        index = np.searchsorted(support, sample)
        return np.bincount(index, minlength=len(support)) / sample.size
    counts, _ = np.histogram(sample, bins=support)
    return counts / sample.size


def ecdf(sample: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values and the share of replications at or below each."""
    if sample.size == 0:
        return np.zeros(0), np.zeros(0)
    values, counts = np.unique(sample, return_counts=True)
    return values, np.cumsum(counts) / sample.size


# -- static (matplotlib) ---------------------------------------------------------------


def _figure(width: float, height: float) -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def distribution_figure(
    samples: Mapping[str, np.ndarray],
    means: Mapping[str, Mapping[str, Any]],
    label: str,
    source: str,
) -> Any:
    """Histogram and empirical CDF of one metric, one colour per posture year.

    ``samples``: year label → per-replication values; ``means``: year label → the
    run's summary of the metric (its mean and 95% interval are marked on the CDF).
    """
    fig = _figure(8.0, 3.3)
    hist_ax, cdf_ax = fig.subplots(1, 2)
    years = list(samples)
    clean = {year: finite(samples[year]) for year in years}
    kind, support = histogram_bins(list(clean.values()))
    width = 0.8 / max(len(years), 1)
    for i, year in enumerate(years):
        colour = year_colour(i)
        share = shares(clean[year], kind, support)
        if kind == "values":
            hist_ax.bar(
                support + (i - (len(years) - 1) / 2) * width,
                share,
                width=width,
                color=colour,
                label=year,
            )
        elif support.size:
            hist_ax.stairs(share, support, color=colour, lw=1.5, label=year)
        values, cumulative = ecdf(clean[year])
        if values.size:
            cdf_ax.step(values, cumulative, where="post", color=colour, lw=1.5, label=year)
        summary = means.get(year) or {}
        if summary.get("mean") is not None:
            cdf_ax.axvline(summary["mean"], color=colour, lw=0.8, ls=":")
    hist_ax.set_xlabel(label, fontsize=8)
    hist_ax.set_ylabel("share of replications", fontsize=8)
    hist_ax.set_title("Distribution", fontsize=9)
    cdf_ax.set_xlabel(label, fontsize=8)
    cdf_ax.set_ylabel("share at or below", fontsize=8)
    cdf_ax.set_ylim(0, 1.02)
    cdf_ax.set_title("Empirical CDF (dotted: means)", fontsize=9)
    for ax in (hist_ax, cdf_ax):
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3, lw=0.5)
        ax.spines[["top", "right"]].set_visible(False)
    hist_ax.legend(fontsize=7, frameon=False, title="posture", title_fontsize=7)
    fig.suptitle(label, fontsize=10, weight="bold")
    fig.get_layout_engine().set(rect=(0, 0.06, 1, 0.94))
    fig.text(0.5, 0.01, source, ha="center", va="bottom", fontsize=6.3, color="#555555")
    return fig


def tornado_figure(rows: Sequence[Mapping[str, Any]], metric: str, base: float | None, source: str):
    """Horizontal bars from each parameter's low-end to high-end result (OAT)."""
    fig = _figure(7.5, 0.9 + 0.28 * max(len(rows), 1))
    ax = fig.subplots()
    labels = [r["id"] for r in rows][::-1]
    for y, row in enumerate(rows[::-1]):
        low, high = row["oat"]["low"], row["oat"]["high"]
        left = min(low, high)
        ax.barh(y, abs(high - low), left=left, color="#0072B2", alpha=0.8, height=0.6)
        ax.plot([low], [y], "o", color="#D55E00", ms=3.5)
        ax.plot([high], [y], "s", color="#009E73", ms=3.5)
    if base is not None:
        ax.axvline(base, color="black", lw=0.8)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel(f"{metric} (circle: parameter at low; square: at high)", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(axis="x", alpha=0.3)
    fig.get_layout_engine().set(rect=(0, 0.05, 1, 0.95))
    fig.text(0.5, 0.005, source, ha="center", va="bottom", fontsize=6.3, color="#555555")
    return fig


# -- interactive (plotly) ----------------------------------------------------------------


def distribution_plotly(samples: Mapping[str, np.ndarray], label: str) -> Any:
    """The same histogram and CDF as :func:`distribution_figure`, with hover values."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=1, cols=2, subplot_titles=("Distribution", "Empirical CDF"), horizontal_spacing=0.08
    )
    years = list(samples)
    clean = {year: finite(samples[year]) for year in years}
    kind, support = histogram_bins(list(clean.values()))
    for i, year in enumerate(years):
        colour = year_colour(i)
        share = shares(clean[year], kind, support)
        if kind == "values":
            x = support
        else:
            x = (support[:-1] + support[1:]) / 2 if support.size else support
        fig.add_trace(
            go.Bar(
                x=np.round(x, 6).tolist(),
                y=np.round(share, 6).tolist(),
                name=str(year),
                legendgroup=str(year),
                marker_color=colour,
                hovertemplate=f"{year}: %{{x}} → %{{y:.1%}} of replications<extra></extra>",
            ),
            row=1,
            col=1,
        )
        values, cumulative = ecdf(clean[year])
        fig.add_trace(
            go.Scatter(
                x=np.round(values, 6).tolist(),
                y=np.round(cumulative, 6).tolist(),
                mode="lines",
                line={"shape": "hv", "color": colour, "width": 2},
                name=str(year),
                legendgroup=str(year),
                showlegend=False,
                hovertemplate=f"{year}: ≤ %{{x}} in %{{y:.1%}} of replications<extra></extra>",
            ),
            row=1,
            col=2,
        )
    fig.update_layout(
        barmode="group" if kind == "values" else "overlay",
        height=340,
        margin={"l": 50, "r": 10, "t": 40, "b": 45},
        legend={"title": {"text": "posture"}},
        paper_bgcolor="white",
        plot_bgcolor="#f7f7f7",
    )
    if kind != "values":
        fig.update_traces(opacity=0.6, selector={"type": "bar"})
    fig.update_xaxes(title_text=label)
    fig.update_yaxes(title_text="share of replications", row=1, col=1)
    fig.update_yaxes(title_text="share at or below", range=[0, 1.02], row=1, col=2)
    return fig


def tornado_plotly(rows: Sequence[Mapping[str, Any]], metric: str, base: float | None) -> Any:
    import plotly.graph_objects as go

    ordered = list(rows)[::-1]
    lows = [r["oat"]["low"] for r in ordered]
    highs = [r["oat"]["high"] for r in ordered]
    fig = go.Figure(
        go.Bar(
            y=[r["id"] for r in ordered],
            x=[abs(h - lo) for lo, h in zip(lows, highs, strict=True)],
            base=[min(lo, h) for lo, h in zip(lows, highs, strict=True)],
            orientation="h",
            marker_color="#0072B2",
            customdata=list(zip(lows, highs, strict=True)),
            hovertemplate="%{y}<br>at low: %{customdata[0]:.3f}<br>"
            "at high: %{customdata[1]:.3f}<extra></extra>",
        )
    )
    if base is not None:
        fig.add_vline(x=base, line_color="black", line_width=1)
    fig.update_layout(
        height=120 + 24 * len(ordered),
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
        xaxis_title=metric,
        paper_bgcolor="white",
        plot_bgcolor="#f7f7f7",
    )
    return fig
