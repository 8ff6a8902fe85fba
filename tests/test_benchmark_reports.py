"""Report builders and parsers moved from the benchmark scripts into the library."""

import json
from pathlib import Path

import numpy as np
import pytest
from lib import (
    guard,
    int8,
    latency,
    memory,
    night,
    overhead,
    recipe,
    runtime,
    speed,
    variants,
)

RESULTS = Path(__file__).parents[1] / "benchmarks" / "results"


def _join(md):
    return md if isinstance(md, str) else "\n".join(md)


@pytest.mark.parametrize(
    "name, report",
    [
        ("runtime_stage", runtime.report),
        ("int8_dreams", int8.report),
        ("model_speed", speed.report),
        ("onnx_latency", latency.report),
        ("distill_overhead", overhead.report),
        ("data_memory", memory.report),
        ("stage_night", night.report),
    ],
)
def test_committed_report_is_rebuilt_from_its_json(name, report):
    results = json.loads((RESULTS / f"{name}.json").read_text())
    assert _join(report(results)) == (RESULTS / f"{name}.md").read_text()


def test_committed_recipe_choice_is_rebuilt_from_the_gap_summaries():
    sim = json.loads((RESULTS / "gap_closure.json").read_text())["summary"]
    dreams = json.loads((RESULTS / "gap_closure_dreams_summary.json").read_text())
    lines, best = recipe.choose(sim, dreams)
    assert "\n".join(lines) == (RESULTS / "recipe_choice.md").read_text()
    assert best.startswith("SleepKD, recipe=")


def test_runtime_parse_child_reads_the_last_hwm_or_result_line():
    assert runtime.parse_child("noise\n") == {}
    out = "HWM 2048 True\nHWM 4096 False\n"
    assert runtime.parse_child(out) == {"peak_mb": 4.0, "torch": "False"}
    out = 'HWM 1 True\nRESULT {"n_epochs": 60, "read_s": 0.5}\n'
    assert runtime.parse_child(out) == {"n_epochs": 60, "read_s": 0.5}


def test_runtime_timed_runs_processes_and_parses_the_last():
    import sys

    wall, res = runtime.timed([sys.executable, "-c", "print('HWM', 1024, '-')"], 2)
    assert wall > 0 and res == {"peak_mb": 1.0, "torch": "-"}


def test_runtime_report_leaves_missing_cells_empty():
    meta = dict(command="c", cpu_count=2, loadavg=[1.0, 2.0, 3.0], date="d",
                n_epochs=60, sfreq=100.0, seq_len=20, repeats=1)  # fmt: skip
    rows = [dict(case="a", wall_s=0.12345), dict(case="b", peak_mb=12.0, size_kb=3)]
    md = runtime.report(dict(meta=meta, rows=rows)).splitlines()
    assert md[2].startswith("Command: `c`; 2 CPUs, load average (1.0, 2.0, 3.0)")
    assert "median of 1 processes" in md[2] and "stride 10" in md[2]
    assert md[-2:] == [
        "| a | 0.123 |  |  |  |  |  |  |",
        "| b |  | 12 |  |  |  |  | 3 |",
    ]


def test_int8_summary_means_and_largest_change():
    def row(model, held, k):
        return dict(held_out=held, model=model, size_kb=10.0, agreement_vs_float=1.0,
                    kappa_vs_experts=k, kappa_change=k - 0.5, s_per_1000_epochs=0.1,
                    float_ops=["Conv"] if model != "float" else None)  # fmt: skip

    rows = [row("float", 1, 0.5), row("int8", 1, 0.4), row("float", 2, 0.5)]
    rows.append(row("int8", 2, 0.7))
    summary = int8.summary(rows)
    assert [s["model"] for s in summary] == ["float", "int8"]
    assert summary[1]["folds"] == 2
    assert summary[1]["kappa_change"] == pytest.approx(0.05)
    assert summary[1]["max_abs_kappa_change"] == pytest.approx(0.2)
    meta = dict(command="c", cpu_count=2, date="d", max_epochs=3)
    md = int8.report(dict(meta=meta, summary=summary, folds=rows))
    assert "| int8 | 2 | 10 | 1.000 | 0.550 | +0.050 | 0.200 | 0.100 |" in md
    assert "trained 3 epochs" in md and "left in float: ['Conv']" in md


def test_variants_table_and_kept_scores():
    rows = {"teacher": [dict(macro_f1=0.5, kappa=0.4, accuracy=0.6, f1=[1])]}
    rows["kd"] = [dict(macro_f1=0.5, kappa=0.5, accuracy=0.7, f1=[1])] * 2
    assert variants.variants_table(rows)[2:] == [
        "| teacher | 50.0 ± 0.0 | 40.0 ± 0.0 |",
        "| kd | 50.0 ± 0.0 | 50.0 ± 0.0 |",
    ]
    assert variants.kept(rows)["teacher"] == [
        dict(accuracy=0.6, macro_f1=0.5, kappa=0.4)
    ]
    md = variants.report("python x.py", "Setting.", rows)
    assert md[:5] == ["# SleepKD variants on SIMULATED sleep EEG", "",
                      "Command: `python x.py`", "", "Setting."]  # fmt: skip


def test_memory_run_case_reads_epochs_seconds_and_peak():
    row = memory.run_case("tiny", "n_epochs = 7")
    assert row["case"] == "tiny" and row["n_epochs"] == 7
    assert row["seconds"] >= 0 and row["peak_rss_mb"] > 0
    assert set(memory.CASES) >= {"baseline_imports", "sleep_edf_2_nights"}


def test_guard_report_gives_the_ratio_of_the_fastest_fits():
    class Report:
        baseline_seconds = 0.25

        def __str__(self):
            return "the report"

    times = {None: [2.0, 1.0], "student": [1.5, 3.0]}
    text = guard.report_text(times, Report(), "python g.py", 30, 1)
    assert "| None | 1.00 | 2.00, 1.00 |" in text
    assert "| student | 1.50 | 1.50, 3.00 |" in text
    assert "by 1.50 (+0.50 s; the student alone's stage took 0.25 s" in text
    assert text.endswith("```\nthe report\n```\n")


def test_recipe_shares_none_where_a_regime_is_missing():
    cell = {"gap_closed": 0.5}
    sim = {"narrow": {"macro_f1": {"r | 0": cell}, "kappa": {"r | 8": cell}}}
    dreams = {"kappa": {"d": {"gap_closed": 1.0}}, "macro_f1": {"d": cell}}
    out = recipe.shares(sim, dreams, "r", "d")
    assert out["sim 0 nights macro_f1"] == 0.5 and out["sim 0 nights kappa"] is None
    assert out["DREAMS kappa"] == 1.0
    assert np.nanmean([np.nan if v is None else v for v in out.values()]) == 0.625


def test_speed_and_overhead_tables_format_rows():
    row = dict(family="f", role="student", n_threads=1, n_params=1234,
               param_ratio=0.25, size_mib=0.5, macs=2e6, latency_s=0.002,
               throughput=100.0, speedup_latency=2.0, speedup_throughput=3.0,
               speedup_throughput_best=3.5)  # fmt: skip
    lines = speed.speed_table([row, dict(row, latency_s=None)], 64)
    assert lines[2] == (
        "| f | student | 1,234 | 0.250 | 0.50 | 2.0 | 2.0 | 100.0 | 2.00x | 3.00x "
        "| 3.50x |"
    )
    assert lines[3] == "| f | student | 1,234 | ... |"
    rows = [dict(config="a", median_epoch_s=1.0, ratio_vs_student=1.0)]
    res = dict(command="c", family="f", n_seq=4, seq_len=2, torch="t", threads=1,
               epochs=1, repeats=1, rows=rows,
               median_setup_s_cached_runs=0.5)  # fmt: skip
    assert "| a | 1.00 | 1.00 |" in overhead.report(res)


@pytest.mark.parametrize("name", ["yasa_distill", "gssc_distill"])
def test_external_reports_render_the_committed_json(name):
    from lib import external

    res = json.loads((RESULTS / f"{name}.json").read_text())
    md = getattr(external, f"{name.split('_')[0]}_report")(res)
    assert md.startswith(f"# Distilling {name.split('_')[0].upper()}")
    assert "## Paired differences in kappa" in md and "## Size and CPU speed" in md
    labels = external.YASA_NAMES if name == "yasa_distill" else external.GSSC_NAMES
    for row in res["per_subject_kappa"]:
        assert f"| {labels[row]} |" in md


def test_external_pairs_name_known_rows():
    from lib import external

    assert external.GSSC_CONDITIONS[0] == "scratch"
    assert external.GSSC_PAIRS[3:5] == [
        ("sleepkd_gssc", "kd_gssc"),
        ("sleepkd_gssc_authors", "kd_gssc"),
    ]
    for names, pairs in [
        (external.YASA_NAMES, external.YASA_PAIRS),
        (external.GSSC_NAMES, external.GSSC_PAIRS),
    ]:
        assert all(a in names and b in names for a, b in pairs)
