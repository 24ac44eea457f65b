"""Sensitivity and epistemic uncertainty: factors, designs, the closed-form validations
through the campaign's own code path, and the CLI contracts."""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest
from scipy import stats
from typer.testing import CliRunner

from nansei.campaign import build_setup, run_campaign
from nansei.campaign.scenario import load_scenario
from nansei.catalog import default_catalog
from nansei.cli import app
from nansei.sweep.runner import run_tasks
from nansei.sweep.tasks import CampaignModel, CampaignPoint, run_point
from nansei.uncertainty.epistemic import band, epistemic_band
from nansei.uncertainty.sampling import (
    Factor,
    FactorError,
    apply_factors,
    catalog_factor,
    default_factors,
    latin_hypercube,
    parse_factor,
)
from nansei.uncertainty.sensitivity import analyse
from nansei.uncertainty.testmodels import (
    Ishigami,
    Linear,
    ishigami_factors,
    ishigami_indices,
    unit_factors,
)

runner = CliRunner()
IN_PROCESS = functools.partial(run_tasks, workers=1)


@pytest.fixture(scope="module")
def catalog():
    return default_catalog()


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("miyako-transit")


# -- factors ---------------------------------------------------------------------------------


def test_triangular_quantiles_match_the_closed_form():
    factor = Factor("x", 2.0, 1.0, 5.0, "triangular")
    reference = stats.triang(c=(2.0 - 1.0) / 4.0, loc=1.0, scale=4.0)
    u = np.linspace(0.0, 1.0, 41)
    np.testing.assert_allclose(factor.ppf(u), reference.ppf(u), atol=1e-12)
    # the mode's quantile is (c − a)/(b − a) = 0.25
    assert factor.ppf(0.25) == pytest.approx(2.0)


def test_pert_mean_is_a_plus_4c_plus_b_over_6():
    factor = Factor("x", 2.0, 1.0, 5.0, "pert")
    u = (np.arange(200_000) + 0.5) / 200_000
    assert factor.ppf(u).mean() == pytest.approx((1.0 + 4 * 2.0 + 5.0) / 6, abs=1e-4)


def test_uniform_and_integer_factors():
    assert Factor("x", 0.0, -1.0, 3.0, "uniform").ppf(0.75) == pytest.approx(2.0)
    whole = Factor("scenario.doctrine.salvo_size", 8, 4, 24, "uniform", "decision", True)
    assert set(whole.ppf(np.linspace(0, 1, 101))) <= set(range(4, 25))


def test_latin_hypercube_puts_one_sample_in_each_stratum_and_keys_by_id():
    a = Factor("a", 0.5, 0.0, 1.0, "uniform")
    b = Factor("b", 0.5, 0.0, 1.0, "uniform")
    values = latin_hypercube([a, b], 50, seed=3)
    for column in values.T:
        assert sorted(np.floor(column * 50).astype(int)) == list(range(50))
    # a factor's draws do not depend on what else is sampled with it
    np.testing.assert_array_equal(latin_hypercube([b], 50, seed=3)[:, 0], values[:, 1])


def test_catalog_factor_takes_catalog_range_distribution_and_basis(catalog):
    factor = catalog_factor(catalog, "survival.p_detect")
    param = catalog.param("survival.p_detect")
    assert (factor.value, factor.low, factor.high) == (param.value, param.low, param.high)
    assert factor.distribution == "triangular" and factor.basis == param.basis
    with pytest.raises(FactorError, match="did you mean survival.p_detect"):
        catalog_factor(catalog, "survival.p_detec")
    with pytest.raises(FactorError, match="outside the catalog"):
        parse_factor("survival.p_detect=0.0..0.95", catalog, None)


def test_scenario_decision_factor_sets_the_field_and_refuses_bad_values(catalog, scenario):
    factor = parse_factor("scenario.doctrine.salvo_size=4..24", catalog, scenario)
    assert (factor.low, factor.high, factor.integer, factor.basis) == (4, 24, True, "decision")
    changed, overrides = apply_factors(scenario, {factor.id: 16.0, "survival.p_detect": 0.7})
    assert changed.doctrine.salvo_size == 16 and overrides == {"survival.p_detect": 0.7}
    with pytest.raises(FactorError, match="doctrine.salvo_size"):
        parse_factor("scenario.doctrine.salvo_size=0..4", catalog, scenario)
    with pytest.raises(FactorError, match="did you mean doctrine.salvo_size"):
        parse_factor("scenario.doctrine.salvo_sise=4..8", catalog, scenario)
    with pytest.raises(FactorError, match="needs a range"):
        parse_factor("scenario.doctrine.salvo_size", catalog, scenario)


def test_default_factors_are_read_ranged_and_leave_out_idle_systems(catalog, scenario):
    for year in (2025, 2026, 2027):
        setup = build_setup(scenario.with_year(year), catalog)
        factors = default_factors(setup, catalog)
        engaged = {setup.units[i].system for i in setup.engaged()}
        idle = {u.system for u in setup.units} - engaged
        assert factors and all(f.id in setup.params and f.low < f.high for f in factors)
        assert not any(f.id.partition(".")[0] in idle for f in factors)
        for system in engaged:
            assert f"{system}.p_hit" in {f.id for f in factors}
        # Switches (unit "flag") are read but are scenario choices, never sampled.
        flags = [p for p in setup.params if catalog.param(p).unit == "flag"]
        assert flags and not {f.id for f in factors} & set(flags)


# -- closed-form validation through the same runner -----------------------------------------


def test_sobol_reproduces_ishigami_indices_within_the_intervals():
    result = analyse(
        Ishigami(), ishigami_factors(), "sobol", samples=1024, seed=3, run=IN_PROCESS, batch=256
    )
    exact = ishigami_indices()
    for j, record in enumerate(result["parameters"]):
        for name in ("S1", "ST"):
            lo, hi = record[f"{name}_ci95"]
            assert lo <= exact[name][j] <= hi, (record["id"], name, exact[name][j], lo, hi)
            assert hi - lo < 0.2
    assert result["evaluations"] == 1024 * 5


def test_sobol_ranking_resolves_the_ishigami_order_and_covers_the_exact_gaps():
    """Ishigami ST = (0.558, 0.442, 0.244): three distinct places, each gap inside its
    paired 95% interval and clear of zero at N = 1024."""
    result = analyse(
        Ishigami(), ishigami_factors(), "sobol", samples=1024, seed=3, run=IN_PROCESS, batch=256
    )
    exact = ishigami_indices()["ST"]
    ranking = result["ranking"]
    assert [row["id"] for row in ranking["order"]] == ["x1", "x2", "x3"]
    assert ranking["ranked"] and ranking["places"] == 5
    gaps = [exact[0] - exact[1], exact[1] - exact[2]]
    for row, gap in zip(ranking["order"][:2], gaps, strict=True):
        lo, hi = row["difference_ci95"]
        assert 0.0 < lo <= gap <= hi, (row, gap)
        assert row["above_next"] is True
    assert ranking["order"][-1]["next"] is None and ranking["order"][-1]["above_next"] is None


def test_sobol_ranking_reports_equal_factors_as_a_tie_with_numbers():
    """y = 2 x1 + 2 x2 + x3 + 0.5 x4 on U(0, 1): ST_i = c_i² / Σ c² = (0.43, 0.43, 0.11,
    0.03). x1 and x2 are exactly tied, so their order must not be claimed; the next two
    gaps are real and must be resolved."""
    coefficients = (2.0, 2.0, 1.0, 0.5)
    result = analyse(
        Linear(coefficients), unit_factors(4), "sobol", samples=512, seed=5, run=IN_PROCESS,
        batch=256,
    )  # fmt: skip
    ranking = result["ranking"]
    first, second, third = ranking["order"][:3]
    assert {first["id"], second["id"]} == {"x1", "x2"}
    assert first["above_next"] is False and not ranking["ranked"]
    lo, hi = first["difference_ci95"]
    assert lo < 0.0 < hi
    assert second["above_next"] is True and third["above_next"] is True
    # the paired test needs a smaller gap (its half-width) than two intervals that must
    # not overlap (the sum of their half-widths)
    apart = sum(r["ST_ci95"][1] - r["ST_ci95"][0] for r in (first, second)) / 2
    assert (hi - lo) / 2 < apart


def test_sobol_intervals_are_reproducible_for_every_seed_including_zero():
    def once(seed):
        return analyse(
            Linear((1.0, 2.0)), unit_factors(2), "sobol", samples=16, seed=seed, run=IN_PROCESS
        )["parameters"]

    assert once(0) == once(0)
    assert once(7) == once(7) != once(0)


def test_morris_on_a_linear_model_ranks_by_coefficient():
    coefficients = (1.0, 3.0, -2.0, 0.5)
    result = analyse(
        Linear(coefficients), unit_factors(4), "morris", samples=10, seed=1, run=IN_PROCESS
    )
    mu_star = [p["mu_star"] for p in result["parameters"]]
    np.testing.assert_allclose(mu_star, np.abs(coefficients), atol=1e-9)
    assert all(p["sigma"] == pytest.approx(0.0, abs=1e-9) for p in result["parameters"])
    assert all(p["S1"] is None and p["oat"] is None for p in result["parameters"])


def test_oat_on_a_linear_model_moves_one_factor_at_a_time():
    result = analyse(Linear((1.0, 3.0)), unit_factors(2), "oat", samples=0, seed=1, run=IN_PROCESS)
    assert result["baseline"] == pytest.approx(2.0)
    assert result["parameters"][0]["oat"] == {"low": 1.5, "high": 2.5}
    assert result["parameters"][1]["oat"] == {"low": 0.5, "high": 3.5}


# -- the campaign as a model -----------------------------------------------------------------


def test_campaign_oat_equals_direct_runs_with_overrides(catalog, scenario):
    """OAT goes through the task runner; each end must equal a plain run at that value
    with the same replications and seed (common random numbers)."""
    factor = catalog_factor(catalog, "survival.p_detect")
    model = CampaignModel(scenario, catalog, 2025, (factor,), 60, 11, ("blue_launchers_lost",))
    result = analyse(model, [factor], "oat", samples=0, seed=11, run=IN_PROCESS)
    for end in ("low", "high"):
        value = getattr(factor, end)
        direct = run_campaign(
            scenario, catalog, year=2025, replications=60, seed=11, overrides={factor.id: value}
        )
        expected = direct.columns["blue_launchers_lost"].mean()
        assert result["parameters"][0]["oat"][end] == pytest.approx(expected, abs=1e-6)
    low, high = result["parameters"][0]["oat"]["low"], result["parameters"][0]["oat"]["high"]
    assert high > low  # launchers detected more often are lost more often


def test_a_sobol_row_over_every_default_parameter_equals_a_set_run(catalog, scenario):
    """A design row moves every default parameter at once; its value must be exactly the
    mean of a plain run with those values as overrides (the path of ``--set``), so the
    study reads every parameter live — geometry reused across points included."""
    prepared = scenario.with_year(2026)
    factors = default_factors(build_setup(prepared, catalog), catalog)
    rng = np.random.default_rng(4)
    rows = np.array([[f.ppf(u) for f, u in zip(factors, rng.random(len(factors)), strict=True)]
                     for _ in range(2)])  # fmt: skip
    model = CampaignModel(prepared, catalog, 2026, tuple(factors), 40, 9, ("blue_missiles_fired",))
    means = model(rows)[:, 0]
    for row, mean in zip(rows, means, strict=True):
        overrides = {f.id: float(v) for f, v in zip(factors, row, strict=True)}
        direct = run_campaign(
            scenario, catalog, year=2026, replications=40, seed=9, overrides=overrides
        )
        assert mean == direct.columns["blue_missiles_fired"].mean()
    assert means[0] != means[1]


def test_a_chunk_of_replications_equals_the_same_rows_of_a_whole_run(catalog, scenario):
    whole = run_point(CampaignPoint(scenario, catalog, 2025, {}, 90, 5))
    tail = run_point(CampaignPoint(scenario, catalog, 2025, {}, 40, 5, first=50))
    for name, column in tail.items():
        np.testing.assert_array_equal(column, whole[name][50:])


def test_epistemic_band_uses_the_same_inner_numbers_and_orders_percentiles(catalog, scenario):
    setup = build_setup(scenario.with_year(2025), catalog)
    metrics = ("red_ships_out_of_action", "blue_launchers_lost")
    first, factors = epistemic_band(setup, catalog, 6, 40, 9, metrics, IN_PROCESS)
    again, _ = epistemic_band(setup, catalog, 6, 40, 9, metrics, IN_PROCESS)
    assert first == again
    assert {f.id for f in factors} == {f.id for f in default_factors(setup, catalog)}
    for summary in first.values():
        assert summary["samples"] == 6
        assert summary["p05"] <= summary["p50"] <= summary["p95"]
    assert band([1.0, float("nan"), 3.0])["samples"] == 2


# -- CLI -------------------------------------------------------------------------------------


def run(*args: str):
    return runner.invoke(app, list(args))


CONTRACT = {
    "id",
    "value",
    "low",
    "high",
    "basis",
    "oat",
    "mu_star",
    "mu_star_ci95",
    "sigma",
    "S1",
    "S1_ci95",
    "ST",
    "ST_ci95",
}


def test_sensitivity_json_contract(tmp_path):
    params = "survival.p_detect,scenario.doctrine.salvo_size=4..16"
    result = run(
        "sensitivity",
        "miyako-transit",
        "--year",
        "2025",
        "--params",
        params,
        "--reps",
        "30",
        "--seed",
        "2",
        "--json",
        "--out",
        str(tmp_path / "new"),
        "--png",
        str(tmp_path / "tornado.png"),
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert {
        "scenario",
        "year",
        "metric",
        "method",
        "samples",
        "replications",
        "seed",
        "parameters",
    } <= set(record)
    assert (record["scenario"], record["year"], record["method"]) == ("miyako-transit", 2025, "oat")
    assert record["ranking"] is None  # Sobol only
    assert record["metric"] == "red_ships_out_of_action" and record["replications"] == 30
    assert [p["id"] for p in record["parameters"]] == params.split(",")[:1] + [
        "scenario.doctrine.salvo_size"
    ]
    for p in record["parameters"]:
        assert CONTRACT <= set(p)
        assert set(p["oat"]) == {"low", "high"} and p["S1"] is None and p["mu_star"] is None
    assert record["parameters"][0]["basis"] in ("sourced", "derived", "assumption")
    assert json.loads((tmp_path / "new" / "sensitivity.json").read_text()) == record
    assert (tmp_path / "tornado.png").read_bytes()[:4] == b"\x89PNG"


def test_sensitivity_sobol_cli_runs_small(tmp_path):
    result = run(
        "sensitivity",
        "miyako-transit",
        "--method",
        "sobol",
        "--params",
        "survival.p_detect,isr.cue_rate_per_h",
        "--samples",
        "8",
        "--reps",
        "10",
        "--json",
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["samples"] == 8 and record["evaluations"] == 8 * 4
    for p in record["parameters"]:
        assert p["S1"] is not None and len(p["ST_ci95"]) == 2 and p["oat"] is None
    ranking = record["ranking"]
    assert ranking["places"] == 5 and isinstance(ranking["ranked"], bool)
    assert [row["rank"] for row in ranking["order"]] == [1, 2]
    assert {row["id"] for row in ranking["order"]} == {p["id"] for p in record["parameters"]}
    first = ranking["order"][0]
    assert first["next"] == ranking["order"][1]["id"] and len(first["difference_ci95"]) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--params", "survival.p_detec"), "did you mean survival.p_detect"),
        (("--params", "scenario.doctrine.salvo=4..8"), "no field 'salvo'"),
        (("--params", "survival.p_detect=0..1"), "outside the catalog"),
        (("--params", "hvgp-block1.p_hit"), "not read by this run"),
        (("--method", "sobol", "--samples", "10"), "power of two"),
        (("--method", "fast"), "allowed: oat, morris, sobol"),
        (("--metric", "ships"), "not a campaign column"),
        (("--year", "1999"), "--year"),
    ],
)
def test_sensitivity_bad_input_is_one_line_exit_2(args, message):
    result = run("sensitivity", "miyako-transit", "--reps", "5", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_campaign_and_compare_uncertainty_json():
    result = run(
        "campaign",
        "miyako-transit",
        "--reps",
        "50",
        "--uncertainty",
        "4",
        "--uncertainty-reps",
        "20",
        "--json",
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    keys = list(record)
    assert keys.index("epistemic") == keys.index("metrics") + 1
    assert set(record["epistemic"]) == set(record["metrics"])
    for summary in record["epistemic"].values():
        assert {"p05", "p50", "p95", "samples"} <= set(summary) and summary["samples"] == 4
        assert summary["p05"] <= summary["p50"] <= summary["p95"]
    result = run(
        "compare",
        "miyako-transit",
        "--years",
        "2025,2026",
        "--reps",
        "30",
        "--uncertainty",
        "3",
        "--uncertainty-reps",
        "10",
        "--json",
    )
    assert result.exit_code == 0, result.output
    years = json.loads(result.stdout)["years"]
    assert all(years[y]["epistemic"]["red_ships_out_of_action"]["samples"] == 3 for y in years)
    shown = run(
        "compare",
        "miyako-transit",
        "--years",
        "2025",
        "--reps",
        "20",
        "--uncertainty",
        "2",
        "--uncertainty-reps",
        "5",
    )
    assert shown.exit_code == 0 and "epistemic p05 · p50 · p95" in shown.output


def test_default_workers_use_every_core_only_for_large_designs(monkeypatch):
    from nansei.cli import common
    from nansei.cli.sensitivity import AUTO_WORKERS_EVALUATIONS, DEFAULTS, default_workers

    monkeypatch.setattr(common, "cpu_cores", lambda: 6)
    assert default_workers(AUTO_WORKERS_EVALUATIONS, None) == 1
    assert default_workers(AUTO_WORKERS_EVALUATIONS + 1, None) == 6
    # the default Sobol design of miyako-transit (N × (d + 2), d ≈ 60) is a large one
    assert default_workers(DEFAULTS["sobol"][0] * 64, None) == 6
    assert default_workers(10**6, "tcp://scheduler:8786") == 1  # the cluster's own workers
