"""`nansei report` and `nansei demo`: sections, offline page, numbers equal to the JSON,
--from without re-running, sensitivity, metric names from the JSON, bad input."""

from __future__ import annotations

import json
import math
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nansei.cli import app
from nansei.report import get_path

runner = CliRunner()
SECTIONS = (
    "answer",
    "posture",
    "reach",
    "campaign",
    "sensitivity",
    "parameters",
    "reproducibility",
)
METRICS = (
    "red_ships_out_of_action",
    "groups_transited_fraction",
    "blue_missiles_fired",
    "blue_launchers_lost",
    "magazine_exhausted_day",
)


def run(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "out"
    result = run("report", "--years", "2022,2026", "--reps", "60", "--dpi", "60", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert str(out / "report.html") in result.stdout
    return out


class Numbers(HTMLParser):
    """Collects tagged numbers (span.num) and the text of summary-table cells."""

    def __init__(self) -> None:
        super().__init__()
        self.numbers: list[dict[str, str]] = []
        self.sections: set[str] = set()
        self.cells: list[str] = []  # td text of table.summary with tagged numbers removed
        self._stack: list[dict] = []
        self._in_summary = 0
        self._cell: list[str] | None = None
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "section" and "id" in attributes:
            self.sections.add(attributes["id"])
        if tag == "table" and "summary" in (attributes.get("class") or "").split():
            self._in_summary += 1
        if tag == "td" and self._in_summary:
            self._cell = []
        if tag == "span" and "num" in (attributes.get("class") or "").split():
            self._stack.append({**attributes, "text": ""})
            self._skip += 1
        elif tag == "span" and self._skip:
            self._skip += 1

    def handle_endtag(self, tag):
        if tag == "span" and self._skip:
            self._skip -= 1
            if self._skip == 0 or (self._stack and self._skip < len(self._stack)):
                self.numbers.append(self._stack.pop())
        if tag == "td" and self._cell is not None:
            self.cells.append("".join(self._cell))
            self._cell = None
        if tag == "table" and self._in_summary:
            self._in_summary -= 1

    def handle_data(self, data):
        if self._stack:
            self._stack[-1]["text"] += data
        elif self._cell is not None:
            self._cell.append(data)


def parse(html: str) -> Numbers:
    parser = Numbers()
    parser.feed(html)
    return parser


def test_report_files_and_sections(report_dir):
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    assert set(SECTIONS) <= parse(html).sections
    for name in ("summary.json", "replications.parquet", "coverage.json", "scenario.yaml"):
        assert (report_dir / name).is_file()
    for metric in METRICS:
        for ext in ("svg", "png"):
            assert (report_dir / "figures" / f"campaign-{metric}.{ext}").stat().st_size > 5_000
    assert (report_dir / "figures" / "reach-2022-2026.svg").is_file()
    tables = {p.name for p in (report_dir / "tables").glob("*.csv")}
    expected = {"campaign-summary.csv", "posture.csv", "reach.csv", "straits.csv"}
    assert expected | {"places.csv", "parameters.csv"} <= tables
    header = (report_dir / "tables" / "campaign-summary.csv").read_text().splitlines()[0]
    assert header.startswith("year,metric,mean,ci95_low,ci95_high,p10,p50,p90,n")


def test_report_is_self_contained(report_dir):
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=", html)
    assert not re.search(r"<img[^>]+src=\"(?!data:)", html)
    assert "url(http" not in html
    # plotly.js inlined exactly once (its licence banner opens the bundle).
    assert html.count("plotly.js v") == 1
    assert html.count("<script") - html.count('<script type="application/json"') >= 3
    assert 'src="data:image/png;base64,' in html


def test_every_number_in_the_summary_tables_equals_the_json(report_dir):
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    payloads = {
        "summary": json.loads((report_dir / "summary.json").read_text()),
        "coverage": json.loads((report_dir / "coverage.json").read_text()),
    }
    parsed = parse(html)
    numbers = parsed.numbers
    assert len(numbers) > 100
    seen_paths = set()
    for number in numbers:
        value = get_path(payloads[number["data-src"]], number["data-path"])
        if number.get("data-agg") == "len":
            value = len(value)
        assert float(number["data-value"]) == value, number
        digits = int(number["data-digits"])
        if "pct" in number.get("class", ""):
            assert number["text"] == f"{value:.0%}", number
        else:
            assert number["text"] == f"{float(value):,.{digits}f}", number
        seen_paths.add((number["data-src"], number["data-path"]))
    # Every headline number of every year is shown (and so checked).
    summary = payloads["summary"]
    for year, record in summary["years"].items():
        for metric in record["metrics"]:
            for key in ("mean", "p10", "p50", "p90", "n"):
                assert ("summary", f"years/{year}/metrics/{metric}/{key}") in seen_paths
            assert ("summary", f"years/{year}/metrics/{metric}/ci95/0") in seen_paths
    # No number in a summary-table cell escapes the check.
    for cell in parsed.cells:
        assert not re.search(r"\d", cell), cell


def test_answer_states_numbers_with_intervals(report_dir):
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    answer = html[html.index('id="answer"') : html.index('id="posture"')]
    assert "Question." in answer and "Answer." in answer
    assert answer.count('class="num"') >= 12  # means with both interval ends
    assert "Miyako Strait" in answer
    assert "95% interval" in answer


def test_parameters_and_reproducibility(report_dir):
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    section = html[html.index('id="parameters"') : html.index('id="reproducibility"')]
    for param in ("type12-improved.range_km", "type-052d.", "survival.p_detect", "isr."):
        assert param in section
    assert "basis-assumption" in section and "basis-sourced" in section
    summary = json.loads((report_dir / "summary.json").read_text())
    read = {p for record in summary["years"].values() for p in record.get("parameters_read", {})}
    for param in read:  # every parameter the run read, from its own JSON
        assert f"<code>{param}</code>" in section
    rows = (report_dir / "tables" / "parameters.csv").read_text().splitlines()
    assert len(rows) == 1 + len(read)
    repro = html[html.index('id="reproducibility"') :]
    summary = json.loads((report_dir / "summary.json").read_text())
    assert str(summary["seed"]) in repro and "catalog digest" in repro
    assert "matches the scenario shown and this catalog" in repro
    assert "nansei compare miyako-transit --years 2022,2026 --reps 60" in repro


def test_sensitivity_says_how_to_produce_it(report_dir):
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    section = html[html.index('id="sensitivity"') : html.index('id="parameters"')]
    assert "nansei sensitivity miyako-transit --year 2026 --method sobol" in section


def test_from_renders_without_rerunning(report_dir, tmp_path, monkeypatch):
    import nansei.campaign as campaign

    def refuse(*_args, **_kwargs):
        raise AssertionError("--from must not run campaigns")

    monkeypatch.setattr(campaign, "compare_postures", refuse)
    monkeypatch.setattr(campaign, "run_campaign", refuse)
    out = tmp_path / "again"
    result = run("report", "--from", str(report_dir), "--out", str(out), "--dpi", "60")
    assert result.exit_code == 0, result.output
    first = parse((report_dir / "report.html").read_text(encoding="utf-8")).numbers
    second = parse((out / "report.html").read_text(encoding="utf-8")).numbers
    key = [(n["data-path"], n["data-value"]) for n in first if n["data-src"] == "summary"]
    assert key == [(n["data-path"], n["data-value"]) for n in second if n["data-src"] == "summary"]


def test_from_a_compare_out_dir_with_new_metrics_and_sensitivity(report_dir, tmp_path):
    """Metric names come from the run's JSON; a sensitivity JSON (issue-10 format) is drawn."""
    source = tmp_path / "run"
    source.mkdir()
    summary = json.loads((report_dir / "summary.json").read_text())
    for record in summary["years"].values():
        record["metrics"]["red_ships_sunk"] = {
            "mean": 1.25,
            "ci95": [1.0, 1.5],
            "p10": 0.0,
            "p50": 1.0,
            "p90": 3.0,
            "n": 60,
        }
    (source / "summary.json").write_text(json.dumps(summary))
    sensitivity = {
        "scenario": "miyako-transit",
        "year": 2026,
        "metric": "red_ships_out_of_action",
        "method": "oat",
        "samples": 2,
        "replications": 200,
        "seed": 1,
        "parameters": [
            {"id": "survival.p_detect", "value": 0.5, "low": 0.2, "high": 0.8,
             "basis": "assumption", "oat": {"low": 4.1, "high": 6.0},
             "mu_star": None, "mu_star_ci95": None, "sigma": None,
             "S1": None, "S1_ci95": None, "ST": None, "ST_ci95": None},
            {"id": "type12-improved.p_hit", "value": 0.5, "low": 0.25, "high": 0.7,
             "basis": "sourced", "oat": {"low": 1.7, "high": 4.9},
             "mu_star": None, "mu_star_ci95": None, "sigma": None,
             "S1": 0.4, "S1_ci95": [0.3, 0.5], "ST": 0.55, "ST_ci95": [0.45, 0.65]},
        ],
    }  # fmt: skip
    (source / "sensitivity.json").write_text(json.dumps(sensitivity))
    out = tmp_path / "report"
    result = run("report", "--from", str(source), "--out", str(out), "--dpi", "60")
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Red ships sunk" in html
    assert "No per-replication table" in html
    section = html[html.index('id="sensitivity"') : html.index('id="parameters"')]
    assert "survival.p_detect" in section and "type12-improved.p_hit" in section
    # Ordered by what matters most: ST first, then the OAT swing.
    assert section.index("type12-improved.p_hit") < section.index("survival.p_detect")
    assert (out / "figures" / "tornado-1.svg").is_file()
    assert "tornado-1" in section
    rows = (out / "tables" / "sensitivity.csv").read_text().splitlines()
    assert len(rows) == 3


@pytest.mark.parametrize(
    "make_args,message",
    [
        (lambda t: ["--out", str(t / "file.txt")], "not a directory"),
        (lambda t: ["--from", str(t / "empty"), "--out", str(t / "o")], "not a nansei result"),
        (lambda t: ["--from", str(t / "bad"), "--out", str(t / "o")], "not a nansei campaign"),
        (lambda t: ["--from", str(t / "nojson"), "--out", str(t / "o")], "not JSON"),
        (lambda t: ["--from", str(t / "file.txt"), "--out", str(t / "o")], "is a file"),
        (lambda t: ["--out", str(t / "o"), "--dpi", "49"], "outside [50, 1200]"),
        (lambda t: ["--out", str(t / "o"), "--dpi", "1201"], "outside [50, 1200]"),
        (lambda t: ["--from", str(t / "bad"), "--reps", "5", "--out", str(t / "o")], "--reps"),
        (
            lambda t: ["--out", str(t / "o"), "--sensitivity", str(t / "file.txt")],
            "not JSON",
        ),
        (lambda t: ["--years", "2022,2031", "--out", str(t / "o")], "unknown posture year"),
        (lambda t: ["nope-scenario", "--out", str(t / "o")], "nope-scenario"),
    ],
)
def test_bad_input_is_one_message_and_writes_nothing(tmp_path, make_args, message):
    (tmp_path / "file.txt").write_text("hello")
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "summary.json").write_text(json.dumps({"hello": 1}))
    (tmp_path / "nojson").mkdir()
    (tmp_path / "nojson" / "summary.json").write_text("{not json")
    result = run("report", *make_args(tmp_path))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()
    assert (tmp_path / "file.txt").read_text() == "hello"


def test_demo_quick_writes_the_report_and_prints_its_path(tmp_path, monkeypatch):
    from nansei.cli import demo

    monkeypatch.setattr(demo, "QUICK_REPLICATIONS", 30)
    monkeypatch.chdir(tmp_path)
    result = run("demo", "--quick")
    assert result.exit_code == 0, result.output
    path = tmp_path / "nansei-demo" / "report.html"
    assert path.is_file()
    assert f"report: {path}" in result.stdout.replace("\n", "")
    summary = json.loads((tmp_path / "nansei-demo" / "summary.json").read_text())
    assert list(summary["years"]) == ["2022", "2025", "2026", "2027"]
    assert summary["replications"] == 30
    assert all(math.isfinite(r["metrics"]["red_ships_out_of_action"]["mean"])
               for r in summary["years"].values())  # fmt: skip


def test_markdown_and_csv_tables(tmp_path):
    csv_path = tmp_path / "compare.csv"
    result = run(
        "compare", "miyako-transit", "--years", "2022,2026", "--reps", "20",
        "--markdown", "--csv", str(csv_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith("|")]
    assert lines[0].startswith("| metric | 2022 | 2026 |")
    assert lines[1] == "| --- | ---: | ---: |"
    assert any(line.startswith("| red ships out of action |") for line in lines)
    rows = csv_path.read_text().splitlines()
    from nansei.cli.campaign import DISPLAY

    assert rows[0] == "metric,2022,2026" and len(rows) == 1 + len(DISPLAY) + 1  # + units
    result = run("data", "posture", "2026", "--markdown")
    assert result.exit_code == 0 and "| --- |" in result.stdout
    result = run("coverage", "--year", "2022", "--csv", str(tmp_path / "cov.csv"))
    assert result.exit_code == 0
    assert (tmp_path / "cov-2.csv").read_text().startswith("gate,")
    assert "125652" in (tmp_path / "cov.csv").read_text()  # no thousands separators in CSV
    result = run("data", "list", "--csv", str(tmp_path))
    assert result.exit_code == 2 and "directory" in result.output


def test_report_dir_is_a_valid_from_source(report_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(report_dir, copy)
    result = run("report", "--from", str(copy), "--out", str(copy), "--dpi", "60")
    assert result.exit_code == 0, result.output
    # Rendered in place (built beside, swapped in whole): the run is still there.
    assert json.loads((copy / "summary.json").read_text()) == json.loads(
        (report_dir / "summary.json").read_text()
    )
    assert (copy / "replications.parquet").is_file() and (copy / "report.html").is_file()


def test_out_holding_other_files_is_refused_and_untouched(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    result = run("report", "--out", str(mine), "--reps", "5")
    assert result.exit_code == 2 and "not a nansei result" in result.output
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


def test_from_a_sensitivity_only_directory(tmp_path):
    source = tmp_path / "sens"
    source.mkdir()
    result = {
        "scenario": "miyako-transit", "year": 2026, "metric": "red_ships_out_of_action",
        "method": "morris", "samples": 20, "replications": 100, "seed": 3,
        "parameters": [
            {"id": "isr.cue_rate_per_h", "value": 0.119, "low": 0.0171, "high": 0.536,
             "basis": "assumption", "oat": None, "mu_star": 2.1, "mu_star_ci95": [1.5, 2.7],
             "sigma": 0.8, "S1": None, "S1_ci95": None, "ST": None, "ST_ci95": None},
        ],
    }  # fmt: skip
    (source / "sensitivity-2026.json").write_text(json.dumps(result))
    out = tmp_path / "report"
    outcome = run("report", "--from", str(source), "--out", str(out), "--dpi", "50")
    assert outcome.exit_code == 0, outcome.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "No campaign results" in html
    assert "Miyako Strait over a 30-day crisis" in html  # the scenario named in the result
    section = html[html.index('id="sensitivity"') : html.index('id="parameters"')]
    assert "μ*" in section and "isr.cue_rate_per_h" in section and "2.100" in section
    assert "2026" in html[html.index('id="posture"') : html.index('id="reach"')]
