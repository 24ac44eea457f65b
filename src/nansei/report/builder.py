"""Build the report directory: ``report.html`` plus figures (SVG, PNG) and tables (CSV).

The page is one self-contained file: plotly.js is inlined once from the installed
``plotly`` package, the reach map is an embedded PNG, CSS is inline, and nothing on the
page asks the network for anything (external source links are plain links). Every
number in the summary tables is tagged with the slash path of the JSON value it shows
(``data-src``/``data-path``), so a reader — or a test — can check it against the run's
``summary.json`` or the report's ``coverage.json``.

Sections (element ids): ``answer``, ``posture``, ``reach``, ``campaign``, ``sensitivity``,
``parameters``, ``reproducibility``.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json
import platform
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from markupsafe import Markup, escape

import nansei
from nansei.catalog import Catalog
from nansei.figure_files import check_dpi, figure_bytes, write_bytes_file, write_text_file
from nansei.report import figures
from nansei.report.data import RunData
from nansei.results import write_json, write_parquet

REPORT_FILE = "report.html"
COVERAGE_FILE = "coverage.json"
#: Everything a report directory holds besides sensitivity results (``sensitivity*.json``).
REPORT_FILES = frozenset(
    {REPORT_FILE, COVERAGE_FILE, "summary.json", "replications.parquet", "scenario.yaml"}
    | {"figures", "tables"}
)

#: Table labels for the metrics nansei reports today; any other metric in a run's JSON
#: is shown under its own name (the report never depends on a fixed metric list).
METRIC_LABELS = {
    "red_ships_out_of_action": "Red ships out of action",
    "groups_transited_fraction": "Share of groups that completed the transit",
    "blue_missiles_fired": "Blue missiles fired",
    "blue_launchers_lost": "Blue launchers lost",
    "magazine_exhausted_day": "Day the magazines ran out",
    "red_combatants_out_of_action": "Red combatants out of action",
    "red_auxiliaries_out_of_action": "Red auxiliaries out of action",
    "groups_transited_undamaged_fraction": "Share of groups that transited undamaged",
    "blue_launchers_lost_counterforce": "Blue launchers lost to counter-force strikes",
    "blue_missiles_lost_in_depots": "Blue missiles lost in depots",
    "blue_ships_lost": "Blue missile ships lost in port",
}


def metric_label(name: str) -> str:
    return METRIC_LABELS.get(name, name.replace("_", " ").capitalize())


def metric_digits(name: str) -> int:
    """Decimals shown: shares and probabilities to 3, counts and days to 2."""
    return 3 if ("fraction" in name or "share" in name or name.startswith("p_")) else 2


def num(value: Any, src: str, path: str, digits: int) -> Markup:
    """A number as text, tagged with where it comes from (checked by the tests)."""
    if value is None:
        return Markup("—")
    text = f"{float(value):,.{digits}f}"
    return Markup(
        f'<span class="num" data-src="{escape(src)}" data-path="{escape(path)}" '
        f'data-value="{escape(repr(value))}" data-digits="{digits}">{escape(text)}</span>'
    )


def percent(value: float, src: str, path: str) -> Markup:
    """A share shown as a whole percentage, tagged like :func:`num`."""
    return Markup(
        f'<span class="num pct" data-src="{escape(src)}" data-path="{escape(path)}" '
        f'data-value="{escape(repr(value))}" data-digits="0">{value:.0%}</span>'
    )


def count(value: int, path: str, src: str = "coverage") -> Markup:
    """The length of the list at ``path`` in a JSON payload, tagged like :func:`num`."""
    return Markup(
        f'<span class="num" data-src="{escape(src)}" data-path="{escape(path)}" data-agg="len" '
        f'data-value="{value}" data-digits="0">{value}</span>'
    )


@dataclass
class ReportOutputs:
    """What was written, for the CLI to list."""

    directory: Path
    report: Path
    figures: list[Path] = field(default_factory=list)
    tables: list[Path] = field(default_factory=list)
    data: list[Path] = field(default_factory=list)


# -- small writers -------------------------------------------------------------------


def _csv_text(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue()


def _write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_text_file(path, text)


def _write_bytes(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_bytes_file(path, data)


# -- provenance ------------------------------------------------------------------------


def catalog_digest(catalog: Catalog) -> str:
    """The catalog's digest (:meth:`nansei.catalog.Catalog.digest`)."""
    return catalog.digest()


# -- the builder -----------------------------------------------------------------------


@dataclass
class ReportInputs:
    """Everything a report is drawn from. ``run`` may be ``None`` (sensitivity only)."""

    catalog: Catalog
    run: RunData | None
    scenario: Any | None = None  # nansei.campaign.scenario.Scenario
    scenario_source: str = ""
    sensitivity: list[dict[str, Any]] = field(default_factory=list)
    reach_years: list[int] = field(default_factory=list)
    command: str = ""
    dpi: int = 150
    write_run: bool = False  # also write summary.json / replications.parquet (fresh runs)
    scenario_yaml: str | None = None


class ReportBuilder:
    def __init__(self, inputs: ReportInputs, out: Path, log: Callable[[str], None] | None = None):
        check_dpi(inputs.dpi)
        self.inputs = inputs
        self.out = out
        self.log = log or (lambda _message: None)
        self.outputs = ReportOutputs(directory=out, report=out / REPORT_FILE)
        self.catalog = inputs.catalog
        self.run = inputs.run
        self.provenance = (self.run.summary.get("provenance") if self.run else None) or None
        self.source_line = (
            f"nansei {nansei.__version__} · catalog {catalog_digest(self.catalog)[:12]}"
        )
        if self.provenance is not None:
            from nansei.provenance import footer_text

            self.source_line = footer_text(self.provenance)
        elif self.run is not None:
            summary = self.run.summary
            self.source_line += (
                f" · scenario {summary.get('scenario')} · "
                f"{summary.get('replications')} replications per posture, "
                f"seed {summary.get('seed')}"
            )

    # -- files ---------------------------------------------------------------------

    def _figure(self, stem: str, fig: Any) -> bytes:
        """Write ``figures/STEM.svg`` and ``.png``; returns the PNG bytes."""
        if fig.get_layout_engine() is not None:
            # Lay out once, then keep it: each save would otherwise solve the layout again.
            fig.get_layout_engine().execute(fig)
            fig.set_layout_engine("none")
        png = b""
        for fmt in ("svg", "png"):
            data = figure_bytes(fig, fmt, self.inputs.dpi)
            path = _write_bytes(self.out / "figures" / f"{stem}.{fmt}", data)
            self.outputs.figures.append(path)
            if fmt == "png":
                png = data
        return png

    def _table(self, name: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
        path = _write_text(self.out / "tables" / f"{name}.csv", _csv_text(header, rows))
        self.outputs.tables.append(path)
        return f"tables/{name}.csv"

    # -- sections ------------------------------------------------------------------

    def answer(self) -> dict[str, Any]:
        scenario = self.inputs.scenario
        run = self.run
        question = (
            scenario.description.strip()
            if scenario is not None and scenario.description
            else f"Scenario {run.summary.get('scenario') if run else '—'}."
        )
        if run is None:
            return {"question": question, "sentences": [], "caveat": ""}
        years = run.years()
        span = " and ".join([", ".join(years[:-1]), years[-1]]) if len(years) > 1 else years[0]
        question = Markup(
            f"{escape(question)} What does each posture ({escape(span)}) achieve against it?"
        )
        metrics = run.metric_names()
        sentences = []

        def value(year: str, metric: str, with_ci: bool = True) -> Markup:
            summary = run.year_record(year)["metrics"].get(metric)
            if summary is None or summary.get("mean") is None:
                return Markup("—")
            digits = metric_digits(metric)
            text = num(
                summary["mean"], "summary", run.path(year, "metrics", metric, "mean"), digits
            )
            ci = summary.get("ci95")
            if with_ci and ci:
                lo = num(ci[0], "summary", run.path(year, "metrics", metric, "ci95", 0), digits)
                hi = num(ci[1], "summary", run.path(year, "metrics", metric, "ci95", 1), digits)
                text = Markup(f"{text} [{lo}, {hi}]")
            return text

        if metrics:
            first = metrics[0]
            parts = [Markup(f"{value(y, first)} with the {escape(y)} posture") for y in years]
            days = f" over the {scenario.days:g}-day campaign" if scenario is not None else ""
            sentences.append(
                Markup(f"<strong>{escape(metric_label(first))}</strong>{escape(days)}: ")
                + Markup(", ").join(parts)
                + Markup(".")
            )
        ends = [years[0], years[-1]] if len(years) > 1 else years
        if len(metrics) > 1:
            second = metrics[1]
            parts = [Markup(f"{value(y, second)} ({escape(y)})") for y in ends]
            sentences.append(
                Markup(f"<strong>{escape(metric_label(second))}</strong>: ")
                + Markup(" against ").join(parts)
                + Markup(".")
            )
        if len(metrics) > 2:
            clauses = []
            for metric in metrics[2:]:
                parts = [Markup(f"{value(y, metric)} ({escape(y)})") for y in ends]
                clauses.append(
                    Markup(f"{escape(metric_label(metric).lower())} ") + Markup(" and ").join(parts)
                )
            sentences.append(Markup("The cost and pace: ") + Markup("; ").join(clauses) + ".")
        replications = run.summary.get("replications")
        caveat = (
            f"Each number is the mean over {replications} replications per posture, with the "
            "95% interval of that mean in brackets: run-to-run randomness only, every catalog "
            "parameter at its central value. How far the catalog's (often wide, assumed) "
            "ranges move these numbers is under “What decides the answer”."
        )
        return {"question": question, "sentences": sentences, "caveat": caveat}

    def posture(self) -> dict[str, Any]:
        from nansei.views import posture_record

        years = self._posture_years()
        tables = []
        rows_csv = []
        previous: set[str] = set()
        for year in years:
            record = posture_record(self.catalog, year)
            current = {u["id"] for u in record["units"]}
            units = []
            for unit in record["units"]:
                units.append({**unit, "new": bool(previous) and unit["id"] not in previous})
                rows_csv.append(
                    [
                        year,
                        unit["id"],
                        unit["system"],
                        unit["system_name"],
                        unit["site"],
                        unit["site_name"],
                        unit["lat"],
                        unit["lon"],
                        unit["platform"],
                        unit["launchers"],
                        unit["ready_missiles"],
                        unit["reload_stock"],
                        unit["range_km"]["value"],
                        unit["range_km"]["low"],
                        unit["range_km"]["high"],
                        " ".join(unit["sources"]),
                    ]
                )
            tables.append({**record, "units": units})
            previous = current
        csv_name = self._table(
            "posture",
            [
                "year",
                "unit",
                "system",
                "system_name",
                "site",
                "site_name",
                "lat",
                "lon",
                "platform",
                "launchers",
                "ready_missiles",
                "reload_stock",
                "range_km",
                "range_km_low",
                "range_km_high",
                "sources",
            ],
            rows_csv,
        )
        return {"years": tables, "csv": csv_name}

    def _posture_years(self) -> list[int]:
        years: list[int] = []
        if self.run is not None:
            for label in self.run.years():
                try:
                    years.append(int(label))
                except ValueError:
                    continue
        for year in self.inputs.reach_years:
            if year not in years:
                years.append(year)
        return [y for y in years if y in self.catalog.postures]

    def reach(self) -> dict[str, Any]:
        from nansei.geo import compute_coverages
        from nansei.geo.maps import coverage_figure, coverage_map_figure, map_extent, plotly_div

        years = self._posture_years()
        if not years:
            return {"available": False}
        self.log(f"reach: coverage of {', '.join(map(str, years))}")
        coverages = compute_coverages(self.catalog, years)
        records = {str(c.year): c.record() for c in coverages}
        payload = {"range_case": "value", "years": records}
        self.outputs.data.append(write_json(self.out / COVERAGE_FILE, payload))
        self.log("reach: map")
        fig = coverage_map_figure(
            coverages, self.catalog, dpi=self.inputs.dpi, provenance=self.provenance
        )
        stem = "reach-" + "-".join(map(str, years))
        png = self._figure(stem, fig)
        image = base64.b64encode(png).decode("ascii")
        shown = [coverages[0], coverages[-1]] if len(coverages) > 1 else coverages
        interactive = [
            {
                "year": c.year,
                "div": Markup(
                    plotly_div(
                        coverage_figure(c, self.catalog, None, map_extent(coverages)),
                        f"reach-map-{c.year}",
                        "map",
                    )
                ),
            }
            for c in shown
        ]

        def cov(year: str, *keys: Any) -> str:
            return "/".join(str(k) for k in ("years", year, *keys))

        areas = []
        area_rows = []
        for year, record in records.items():
            depth = record["union"]["depth"]
            cells = [
                num(
                    d["sea_area_km2"], "coverage", cov(year, "union", "depth", i, "sea_area_km2"), 0
                )
                for i, d in enumerate(depth)
            ]
            threat = record["places_reached"]["threat"]
            reached_path = cov(year, "places_reached", "threat", "reached")
            of_path = cov(year, "places_reached", "threat", "of")
            places = Markup(
                f"{num(threat['reached'], 'coverage', reached_path, 0)}"
                f" of {num(threat['of'], 'coverage', of_path, 0)}"
            )
            areas.append(
                {
                    "year": year,
                    "status": record["status"],
                    "units": count(len(record["units"]), cov(year, "units")),
                    "depth": cells,
                    "places": places,
                }
            )
            area_rows.append(
                [
                    year,
                    len(record["units"]),
                    *[d["sea_area_km2"] for d in depth],
                    threat["reached"],
                    threat["of"],
                ]
            )
        levels = [d["min_units"] for d in next(iter(records.values()))["union"]["depth"]]
        areas_csv = self._table(
            "reach",
            [
                "year",
                "units",
                *[f"sea_km2_reached_by_{k}plus" for k in levels],
                "threat_places_reached",
                "threat_places",
            ],
            area_rows,
        )
        gates = []
        gate_rows = []
        first = next(iter(records.values()))
        for g_index, gate in enumerate(first["gates"]):
            cells = []
            for year, record in records.items():
                match = record["gates"][g_index]
                one, two = (
                    percent(match[key], "coverage", cov(year, "gates", g_index, key))
                    for key in ("covered_fraction", "covered_fraction_2plus")
                )
                cells.append(Markup(f"{one} / {two}"))
                gate_rows.append(
                    [
                        year,
                        match["id"],
                        match["name"],
                        match["length_km"],
                        match["covered_fraction"],
                        match["covered_fraction_2plus"],
                    ]
                )
            gates.append(
                {
                    "name": gate["name"],
                    "length": num(
                        gate["length_km"],
                        "coverage",
                        cov(next(iter(records)), "gates", g_index, "length_km"),
                        0,
                    ),
                    "cells": cells,
                }
            )
        gates_csv = self._table(
            "straits",
            ["year", "gate", "name", "length_km", "reached_1plus", "reached_2plus"],
            gate_rows,
        )
        place_rows = []
        places = []
        for p_index, place in enumerate(first["places"]):
            reached = []
            for year, record in records.items():
                match = record["places"][p_index]
                reached.append(bool(match["reached_by"]))
                place_rows.append(
                    [
                        year,
                        match["id"],
                        match["name"],
                        match["side"],
                        match["nearest_unit"],
                        match["distance_km"],
                        " ".join(match["reached_by"]),
                    ]
                )
            places.append({"name": place["name"], "side": place["side"], "reached": reached})
        places_csv = self._table(
            "places",
            ["year", "place", "name", "side", "nearest_unit", "distance_km", "reached_by"],
            place_rows,
        )
        return {
            "available": True,
            "years": list(records),
            "image": image,
            "image_files": [f"figures/{stem}.svg", f"figures/{stem}.png"],
            "interactive": interactive,
            "areas": areas,
            "levels": levels,
            "gates": gates,
            "places": places,
            "csv": [areas_csv, gates_csv, places_csv],
            "land_source": first["land"]["source"],
        }

    def campaign(self) -> dict[str, Any]:
        from nansei.geo.maps import plotly_div

        run = self.run
        if run is None:
            return {"available": False}
        years = run.years()
        metrics = run.metric_names()
        summary_rows = []
        distribution_rows = []
        csv_rows = []
        footnotes = []
        for metric in metrics:
            digits = metric_digits(metric)
            cells = []
            for year in years:
                summary = run.year_record(year)["metrics"].get(metric) or {}
                mean = summary.get("mean")
                ci = summary.get("ci95")
                cell = num(mean, "summary", run.path(year, "metrics", metric, "mean"), digits)
                if ci:
                    lo, hi = (
                        num(ci[i], "summary", run.path(year, "metrics", metric, "ci95", i), digits)
                        for i in (0, 1)
                    )
                    cell = Markup(f"{cell} <span class='ci'>[{lo}, {hi}]</span>")
                cells.append(cell)
                quantiles = [
                    num(summary.get(q), "summary", run.path(year, "metrics", metric, q), digits)
                    for q in ("p10", "p50", "p90")
                ]
                n = num(summary.get("n"), "summary", run.path(year, "metrics", metric, "n"), 0)
                distribution_rows.append(
                    {"metric": metric_label(metric), "year": year, "cells": [*quantiles, n]}
                )
                epistemic = (run.year_record(year).get("epistemic") or {}).get(metric)
                csv_rows.append(
                    [
                        year,
                        metric,
                        mean,
                        ci[0] if ci else None,
                        ci[1] if ci else None,
                        summary.get("p10"),
                        summary.get("p50"),
                        summary.get("p90"),
                        summary.get("n"),
                        summary.get("censored"),
                        (epistemic or {}).get("p05"),
                        (epistemic or {}).get("p50"),
                        (epistemic or {}).get("p95"),
                    ]
                )
                if summary.get("censored"):
                    footnotes.append((metric, year, summary["censored"]))
            summary_rows.append({"metric": metric_label(metric), "id": metric, "cells": cells})
        csv_name = self._table(
            "campaign-summary",
            [
                "year",
                "metric",
                "mean",
                "ci95_low",
                "ci95_high",
                "p10",
                "p50",
                "p90",
                "n",
                "censored",
                "epistemic_p05",
                "epistemic_p50",
                "epistemic_p95",
            ],
            csv_rows,
        )
        censored = []
        for metric in dict.fromkeys(m for m, _y, _c in footnotes):
            shares = [
                Markup(
                    f"{escape(y)}: {percent(c, 'summary', run.path(y, 'metrics', m, 'censored'))}"
                )
                for m, y, c in footnotes
                if m == metric
            ]
            censored.append({"label": metric_label(metric), "shares": shares})
        charts = []
        if run.columns:
            self.log("campaign: distribution figures")
            for metric in metrics:
                samples = {
                    y: run.columns[y][metric]
                    for y in years
                    if y in run.columns and metric in run.columns[y]
                }
                if not samples:
                    continue
                label = metric_label(metric)
                means = {y: run.year_record(y)["metrics"].get(metric) for y in samples}
                fig = figures.distribution_figure(samples, means, label, self.source_line)
                self._figure(f"campaign-{metric}", fig)
                charts.append(
                    {
                        "metric": metric,
                        "label": label,
                        "div": Markup(
                            plotly_div(
                                figures.distribution_plotly(samples, label),
                                f"dist-{metric}",
                                "chart",
                            )
                        ),
                        "files": [
                            f"figures/campaign-{metric}.svg",
                            f"figures/campaign-{metric}.png",
                        ],
                    }
                )
        engaged = []
        for y in years:
            units = run.year_record(y).get("units_engaged", [])
            engaged.append(
                {
                    "year": y,
                    "units": units,
                    "count": count(len(units), run.path(y, "units_engaged"), "summary"),
                }
            )
        return {
            "available": True,
            "years": years,
            "summary_rows": summary_rows,
            "distribution_rows": distribution_rows,
            "censored": censored,
            "charts": charts,
            "csv": csv_name,
            "engaged": engaged,
            "has_columns": bool(run.columns),
            "overrides": run.summary.get("overrides") or {},
        }

    def sensitivity(self) -> dict[str, Any]:
        from importlib.util import find_spec

        from nansei.geo.maps import plotly_div

        results = []
        csv_rows = []
        for index, result in enumerate(self.inputs.sensitivity):
            params = list(result.get("parameters") or [])

            def weight(row: Mapping[str, Any]) -> float:
                for key in ("ST", "mu_star"):
                    if row.get(key) is not None:
                        return float(row[key])
                oat = row.get("oat") or {}
                if oat.get("low") is not None and oat.get("high") is not None:
                    return abs(float(oat["high"]) - float(oat["low"]))
                return 0.0

            params.sort(key=weight, reverse=True)
            columns = [
                key
                for key in ("oat", "mu_star", "sigma", "S1", "ST")
                if any(p.get(key) is not None for p in params)
            ]
            tornado = None
            oat_rows = [
                p
                for p in params
                if (p.get("oat") or {}).get("low") is not None
                and (p.get("oat") or {}).get("high") is not None
            ]
            title = (
                f"{result.get('scenario', '')} {result.get('year', '')}: "
                f"{result.get('metric', '')} ({result.get('method', '')})"
            )
            if oat_rows:
                base = result.get("base")
                fig = figures.tornado_figure(
                    oat_rows, str(result.get("metric")), base, self.source_line
                )
                stem = f"tornado-{index + 1}"
                self._figure(stem, fig)
                tornado = Markup(
                    plotly_div(
                        figures.tornado_plotly(oat_rows, str(result.get("metric")), base),
                        f"tornado-{index + 1}",
                        "tornado",
                    )
                )
            for p in params:
                oat = p.get("oat") or {}
                csv_rows.append(
                    [
                        result.get("scenario"),
                        result.get("year"),
                        result.get("metric"),
                        result.get("method"),
                        p.get("id"),
                        p.get("value"),
                        p.get("low"),
                        p.get("high"),
                        p.get("basis"),
                        oat.get("low"),
                        oat.get("high"),
                        p.get("mu_star"),
                        p.get("sigma"),
                        p.get("S1"),
                        p.get("ST"),
                    ]
                )
            results.append(
                {
                    "title": title,
                    "meta": {
                        k: result.get(k) for k in ("samples", "replications", "seed") if k in result
                    },
                    "params": params,
                    "columns": columns,
                    "tornado": tornado,
                }
            )
        csv_name = None
        if csv_rows:
            csv_name = self._table(
                "sensitivity",
                [
                    "scenario",
                    "year",
                    "metric",
                    "method",
                    "parameter",
                    "value",
                    "low",
                    "high",
                    "basis",
                    "oat_low",
                    "oat_high",
                    "mu_star",
                    "sigma",
                    "S1",
                    "ST",
                ],
                csv_rows,
            )
        scenario = (self.run.summary.get("scenario") if self.run else None) or "miyako-transit"
        years = self.run.years() if self.run else ["2026"]
        return {
            "results": results,
            "csv": csv_name,
            "command_available": find_spec("nansei.uncertainty") is not None,
            "how_to": [
                f"nansei sensitivity {scenario} --year {years[-1]} --method sobol --out DIR",
                "nansei report --from DIR --out REPORT_DIR   # or: nansei report ... "
                "--sensitivity DIR/sensitivity.json",
            ],
        }

    def _parameters_read(self) -> dict[str, list[float]] | None:
        """``parameters_read`` of every year in the run's JSON (id → values, one per year
        that read it), or ``None`` when the JSON does not record it."""
        if self.run is None:
            return None
        read: dict[str, list[float]] = {}
        for year in self.run.years():
            record = self.run.year_record(year).get("parameters_read")
            if not isinstance(record, dict):
                return None
            for param_id, value in record.items():
                read.setdefault(param_id, []).append(value)
        return read

    def parameters(self) -> dict[str, Any]:
        overrides = dict((self.run.summary.get("overrides") if self.run else None) or {})
        if self.inputs.scenario is not None:
            overrides = {**self.inputs.scenario.overrides, **overrides}
        read = self._parameters_read()
        if read is not None:
            source = "read"
            ids = sorted(read)
        else:
            source = "entities"
            ids = [
                f"{entity_id}.{name}"
                for entity_id in self._entities_used()
                if entity_id in self.catalog.entities
                for name in self.catalog.entities[entity_id].params
            ]
        rows = []
        csv_rows = []
        for param_id in ids:
            entity_id = param_id.partition(".")[0]
            entity = self.catalog.entities.get(entity_id)
            param = entity.params.get(param_id.partition(".")[2]) if entity else None
            if read is not None:
                values = list(dict.fromkeys(read[param_id]))
            else:
                values = [overrides.get(param_id, param.value if param else None)]
            used = values[0] if len(values) == 1 else None
            shown = " / ".join(f"{v:g}" for v in values if v is not None)
            catalog_value = param.value if param else None
            basis = param.basis if param else "not in this catalog"
            rows.append(
                {
                    "id": param_id,
                    "value": shown,
                    "catalog_value": catalog_value,
                    "overridden": param_id in overrides
                    or (catalog_value is not None and any(v != catalog_value for v in values)),
                    "low": param.low if param else None,
                    "high": param.high if param else None,
                    "unit": param.unit if param else "",
                    "basis": basis,
                    "sources": list(param.sources) if param else [],
                    "note": param.note if param else "",
                }
            )
            csv_rows.append(
                [
                    param_id,
                    used if used is not None else shown,
                    catalog_value,
                    rows[-1]["low"],
                    rows[-1]["high"],
                    rows[-1]["unit"],
                    basis,
                    " ".join(rows[-1]["sources"]),
                    rows[-1]["note"],
                ]
            )
        csv_name = self._table(
            "parameters",
            ["id", "value", "catalog_value", "low", "high", "unit", "basis", "sources", "note"],
            csv_rows,
        )
        assumed = sum(r["basis"] == "assumption" for r in rows)
        return {"rows": rows, "csv": csv_name, "assumed": assumed, "source": source}

    def _entities_used(self) -> list[str]:
        """Catalog entries the run reads: each unit's missile system, each ship class of
        the threat, the threat defaults (``pla-sag``) and the engagement, survival and
        ISR priors."""
        ids: list[str] = []

        def add(entity_id: str) -> None:
            if entity_id not in ids:
                ids.append(entity_id)

        scenario = self.inputs.scenario
        if scenario is not None and scenario.posture.units:
            for unit in scenario.posture.units:
                add(unit.system)
        for year in self._posture_years():
            for unit in self.catalog.posture(year).units:
                add(unit.system)
        if scenario is not None:
            for group in scenario.threat.groups:
                for class_id in group.composition:
                    add(class_id)
        else:
            for entity in self.catalog.entities.values():
                if entity.kind == "ship-class":
                    add(entity.id)
        for entity in self.catalog.entities.values():
            if entity.kind in ("threat", "engagement", "survival", "isr"):
                add(entity.id)
        return ids

    def reproducibility(self) -> dict[str, Any]:
        from nansei.campaign import build_setup

        run = self.run
        items: list[tuple[str, Any]] = [
            ("nansei version", nansei.__version__),
            ("Python", platform.python_version()),
            ("numpy", np.__version__),
            ("catalog digest (SHA-256)", catalog_digest(self.catalog)),
            ("catalog layers", ", ".join(self.catalog.origin) or "bundled"),
            ("report written", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")),
        ]
        checks = []
        commands = []
        if self.inputs.command:
            commands.append(self.inputs.command)
        if run is not None:
            summary = run.summary
            items[3:3] = [
                ("scenario", summary.get("scenario")),
                ("seed", summary.get("seed")),
                ("replications per posture", summary.get("replications")),
                ("overrides", json.dumps(summary.get("overrides") or {})),
            ]
            if run.source_dir is not None:
                items.append(("results read from", str(run.source_dir)))
            for year in run.years():
                record = run.year_record(year)
                recorded = record.get("scenario_hash")
                status = "not checked (scenario not available)"
                if self.inputs.scenario is not None and recorded:
                    try:
                        scenario = self.inputs.scenario
                        if year.lstrip("-").isdigit() and int(year) >= 0:
                            scenario = scenario.with_year(int(year))
                        scenario = scenario.with_overrides(summary.get("overrides") or {})
                        status = (
                            "matches the scenario shown and this catalog"
                            if build_setup(scenario, self.catalog).scenario_hash == recorded
                            else "DIFFERS from the scenario shown or this catalog: the "
                            "parameters below may not be the ones this run used"
                        )
                    except Exception as error:  # a scenario that no longer validates
                        status = f"not checked ({error})"
                checks.append({"year": year, "hash": recorded, "status": status})
            years = ",".join(run.years())
            sets = " ".join(f"--set {k}={v:g}" for k, v in (summary.get("overrides") or {}).items())
            source = self.inputs.scenario_source or summary.get("scenario")
            commands.append(
                f"nansei compare {source} --years {years} --reps {summary.get('replications')} "
                f"--seed {summary.get('seed')} {sets} --out DIR".replace("  ", " ")
            )
            commands.append("nansei report --from DIR --out REPORT_DIR")
            provenance = summary.get("provenance")
            if isinstance(provenance, dict):
                for key, value in provenance.items():
                    items.append(
                        (
                            f"run provenance: {key}",
                            json.dumps(value) if isinstance(value, dict | list) else value,
                        )
                    )
        return {"items": items, "checks": checks, "commands": commands}

    def sources(self, used: set[str]) -> list[dict[str, Any]]:
        return [
            self.catalog.sources[s].model_dump() for s in sorted(used) if s in self.catalog.sources
        ]

    # -- page ----------------------------------------------------------------------

    def build(self) -> ReportOutputs:
        from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
        from plotly.offline import get_plotlyjs

        self.out.mkdir(parents=True, exist_ok=True)
        if self.inputs.write_run:
            self._write_run()
        context = {
            "answer": self.answer(),
            "posture": self.posture(),
            "reach": self.reach(),
            "campaign": self.campaign(),
            "sensitivity": self.sensitivity(),
            "parameters": self.parameters(),
            "reproducibility": self.reproducibility(),
            "version": nansei.__version__,
            "title": self._title(),
            "summary_json": Markup(
                json.dumps(self.run.summary if self.run else {}, allow_nan=False)
                .replace("<", "\\u003c")
                .replace(">", "\\u003e")
            ),
        }
        used = set()
        for table in context["posture"]["years"]:
            for unit in table["units"]:
                used.update(unit["sources"])
        for row in context["parameters"]["rows"]:
            used.update(row["sources"])
        context["sources"] = self.sources(used)
        environment = Environment(
            loader=PackageLoader("nansei.report", "templates"),
            autoescape=select_autoescape(["html", "j2"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        environment.filters["fmt"] = _fmt
        css = (Path(__file__).parent / "templates" / "report.css").read_text(encoding="utf-8")
        page = environment.get_template("report.html.j2").render(
            **context, css=Markup(css), plotlyjs=Markup(get_plotlyjs())
        )
        _write_text(self.outputs.report, page)
        return self.outputs

    def _title(self) -> str:
        if self.run is None:
            return "nansei report"
        years = self.run.years()
        span = f"{years[0]}–{years[-1]}" if len(years) > 1 else years[0]
        return f"nansei: {self.run.summary.get('scenario')} — postures {span}"

    def _write_run(self) -> None:
        """The inputs beside the report, so its directory is itself a ``--from`` source."""
        run = self.run
        if run is not None:
            self.outputs.data.append(write_json(self.out / "summary.json", run.summary))
        if run is not None and run.columns:
            stacked: dict[str, list[np.ndarray]] = {}
            for year in run.years():
                for name, values in run.columns.get(year, {}).items():
                    stacked.setdefault(name, []).append(np.asarray(values))
            table = {name: np.concatenate(parts) for name, parts in stacked.items()}
            metadata = {"scenario": str(run.summary.get("scenario"))}
            if self.provenance is not None:
                from nansei.provenance import parquet_metadata

                metadata.update(parquet_metadata(self.provenance))
            self.outputs.data.append(
                write_parquet(self.out / "replications.parquet", table, metadata=metadata)
            )
        for index, result in enumerate(self.inputs.sensitivity):
            name = "sensitivity.json" if index == 0 else f"sensitivity-{index + 1}.json"
            self.outputs.data.append(write_json(self.out / name, result))
        if self.inputs.scenario_yaml:
            self.outputs.data.append(
                _write_text(self.out / "scenario.yaml", self.inputs.scenario_yaml)
            )


def _fmt(value: Any, spec: str = "g") -> str:
    if value is None:
        return "—"
    if isinstance(value, float | int):
        return format(value, spec)
    return str(value)


def build_report(
    inputs: ReportInputs, out: Path, log: Callable[[str], None] | None = None
) -> ReportOutputs:
    """Write ``out/report.html`` with figures and tables beside it (see module docstring)."""
    return ReportBuilder(inputs, out, log).build()
