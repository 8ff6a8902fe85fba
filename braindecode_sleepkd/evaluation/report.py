"""Write a benchmark's results: ``results.json``, ``results.md`` and PNG figures."""

import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from ..datasets import SLEEP_STAGES
from .runner import DISTILLATION, LABELS
from .writer import clean, write_results

PACKAGES = (
    "braindecode-sleepkd",
    "torch",
    "skorch",
    "braindecode",
    "mne",
    "numpy",
    "scipy",
    "scikit-learn",
)


def package_versions():
    """Versions of Python and the packages the benchmark depends on."""
    out = {"python": platform.python_version(), "platform": platform.platform()}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def _label(method):
    return LABELS.get(method, method)


def _pm(stat, scale=1.0, digits=1):
    m, s = stat["mean"], stat["std"]
    if not np.isfinite(m):
        return "n/a"
    return f"{m * scale:.{digits}f} ± {s * scale:.{digits}f}"


def _num(x, fmt):
    return "n/a" if x is None or not np.isfinite(x) else format(x, fmt)


def _cmp(c, scale=100.0):
    if c["n"] < 2:
        return f"{c['mean_diff'] * scale:+.1f} (n={c['n']})"
    p = "n/a" if not np.isfinite(c["p_wilcoxon"]) else f"{c['p_wilcoxon']:.2g}"
    return (
        f"{c['mean_diff'] * scale:+.1f} [{c['ci_low'] * scale:+.1f}, "
        f"{c['ci_high'] * scale:+.1f}] p={p}"
    )


def goals(results):
    """SleepKD against the teacher and the other methods (None without both).

    Macro-F1 and size ratios to the teacher, speed-up, SleepKD's rank among the
    distillation methods by macro-F1 and its paired difference to KD.
    """
    s, cost = results["summary"], results["cost"]
    if not {"teacher", "sleepkd"} <= set(s):
        return None
    out = {
        "f1_ratio_vs_teacher": s["sleepkd"]["macro_f1"]["mean"]
        / max(s["teacher"]["macro_f1"]["mean"], 1e-12),
        "params_ratio_vs_teacher": cost["sleepkd"]["params"]
        / cost["teacher"]["params"],
        "throughput_ratio_vs_teacher": cost["sleepkd"]["speedup"],
    }
    distil = [m for m in DISTILLATION if m in s]
    ranked = sorted(distil, key=lambda m: -s[m]["macro_f1"]["mean"])
    out["rank_among_distillation_macro_f1"] = ranked.index("sleepkd") + 1
    out["n_distillation_methods"] = len(distil)
    out["ranking_macro_f1"] = ranked
    kd = results["comparisons"].get("kd", {}).get("vs_sleepkd")
    if kd is not None:  # stored as KD - SleepKD: flip the sign
        kd = kd["macro_f1"]
        out["sleepkd_minus_kd_macro_f1"] = {
            "mean_diff": -kd["mean_diff"],
            "ci_low": -kd["ci_high"],
            "ci_high": -kd["ci_low"],
            "boot_low": -kd["boot_high"],
            "boot_high": -kd["boot_low"],
            "p_wilcoxon": kd["p_wilcoxon"],
            "n": kd["n"],
            "n_positive": kd["n"] - kd["n_positive"],
        }
    return out


def markdown(results, command):
    """The Markdown report of a benchmark run."""
    d, cfg = results["data"], results["config"]
    sim = d["simulated"]
    title = "SIMULATED data" if sim else f"dataset `{cfg['dataset']}`"
    lines = [f"# SleepKD benchmark: {title}, family `{cfg['family']}`", ""]
    if sim:
        lines += [
            "> **Simulated EEG** (`simulate_sleep_eeg`): no claim about real data.",
            "",
        ]
    lines += [
        "Command:",
        "",
        "```",
        command,
        "```",
        "",
        f"Data: {d['n_recordings']} recordings, {d['n_subjects']} subjects, "
        f"{d['n_epochs']} epochs of 30 s ({d['hours']} h); stages "
        + ", ".join(f"{k} {v}" for k, v in d["stage_counts"].items())
        + ".",
        "",
        f"Protocol: {cfg['folds']} subject-wise folds x {cfg['seeds']} seed(s); "
        f"sequences of {cfg['seq_len']} epochs; every method gets the same folds, "
        f"seeds and at most {results['epochs_per_stage']} epochs per training stage "
        f"(requested {cfg['max_epochs']}"
        + (
            f", lowered to fit --budget-minutes {cfg['budget_minutes']}"
            if cfg["budget_minutes"]
            else ""
        )
        + f"), AdamW lr {cfg['lr']}, weight decay {cfg['weight_decay']}, batch "
        f"{cfg['batch_size']}, early stopping on the validation loss of one held-out "
        f"training subject (patience {cfg['patience']}, best weights restored), "
        f"class weights {cfg['class_weight']}, "
        "per-recording robust scaling (median / IQR). One teacher per fold and seed, "
        "shared by all methods.",
        "",
    ]
    lines += [f"- {n}" for n in results["notes"]] + [""]
    s = results["summary"]
    methods = list(s)
    lines += [
        "## Scores (mean ± std over folds x seeds, %; kappa x 100)",
        "",
        "Macro-F1: mean F1 over the five stages; a stage absent from both the test "
        "labels and the predictions of a fold is left out of that fold's mean "
        "(`braindecode_sleepkd.metrics.macro_f1`).",
        "",
        "| Method | Accuracy | Macro-F1 | Kappa | Train time (s) |",
        "|---|---|---|---|---|",
    ]
    for m in methods:
        r = s[m]
        lines.append(
            f"| {_label(m)} | {_pm(r['accuracy'], 100)} | {_pm(r['macro_f1'], 100)} | "
            f"{_pm(r['kappa'], 100)} | "
            f"{_pm(r['fit_seconds'], 1, 0)} |"
        )
    lines += [
        "",
        "## Per-class F1 (%)",
        "",
        "| Method | " + " | ".join(SLEEP_STAGES) + " |",
        "|---|" + "---|" * len(SLEEP_STAGES),
    ]
    for m in methods:
        pc = s[m]["f1_per_class"]
        lines.append(
            f"| {_label(m)} | "
            + " | ".join(_pm(pc[k], 100) for k in SLEEP_STAGES)
            + " |"
        )
    lines += [
        "",
        f"## Cost (CPU, {results['torch_threads']} torch thread(s), shared machine: "
        "timings are noisy)",
        "",
        "Throughput: epochs per second on a batch of 16 sequences; latency: one "
        "sequence. Same architecture, same timing (all students share one row's).",
        "",
        "| Method | Parameters | Size (MiB) | Throughput (epochs/s) | Latency (ms) | "
        "Speed-up vs teacher | Compression vs teacher |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in methods:
        c = results["cost"][m]
        lines.append(
            f"| {_label(m)} | {c['params']:,} | {c['size_mib']:.2f} | "
            f"{_num(c['throughput'], '.0f')} | {_num(c['latency_ms'], '.1f')} | "
            f"{_num(c['speedup'], '.2f')}x | {_num(c['compression'], '.2f')}x |"
        )
    comp = results["comparisons"]
    refs = [r for r in ("scratch", "sleepkd") if r in methods]
    if refs:
        lines += [
            "",
            "## Paired comparison per fold and seed (difference x 100, 95% t-interval, "
            "Wilcoxon signed-rank p)",
            "",
            "| Method | "
            + " | ".join(
                f"{k} vs {_label(r)}" for r in refs for k in ("Kappa", "Macro-F1")
            )
            + " |",
            "|---|" + "---|" * (2 * len(refs)),
        ]
        for m in methods:
            cells = []
            for r in refs:
                c = comp[m].get(f"vs_{r}")
                cells += [_cmp(c["kappa"]), _cmp(c["macro_f1"])] if c else ["", ""]
            lines.append(f"| {_label(m)} | " + " | ".join(cells) + " |")
        n = cfg["folds"] * cfg["seeds"]
        lines += [
            "",
            f"With {n} pairs the smallest two-sided Wilcoxon p-value is "
            f"{2 / 2**n:.3g}; the t-interval assumes roughly normal differences.",
        ]
    g = results.get("goals")
    if g:
        lines += [
            "",
            "## Goals (measured, not asserted)",
            "",
            f"- SleepKD student macro-F1 / teacher macro-F1: "
            f"{100 * g['f1_ratio_vs_teacher']:.1f}% (goal >= 97%)",
            f"- parameters / teacher: {100 * g['params_ratio_vs_teacher']:.1f}% "
            "(goal <= 30%)",
            f"- CPU throughput / teacher: {g['throughput_ratio_vs_teacher']:.2f}x "
            "(goal >= 4x)",
            f"- rank of SleepKD among {g['n_distillation_methods']} distillation "
            f"methods by macro-F1: {g['rank_among_distillation_macro_f1']} "
            f"(order: {', '.join(_label(m) for m in g['ranking_macro_f1'])})",
        ]
        kd = g.get("sleepkd_minus_kd_macro_f1")
        if kd:
            lines.append(f"- SleepKD - KD, macro-F1 x 100: {_cmp(kd)}")
    if results.get("scaling"):
        lines += [
            "",
            "## Scaling (one epoch of each SleepKD stage; separate process per size)",
            "",
            "| Epochs of data | Wall time (s) | Peak memory (MB) |",
            "|---|---|---|",
        ]
        for p in results["scaling"]:
            lines.append(
                f"| {p['n_epochs']:,} | {p['seconds']:.1f} | {p['peak_rss_mb']:.0f} |"
            )
    lines += [
        "",
        "Figures: `confusion.png`, `hypnogram.png`, `fold_differences.png`. "
        f"Total run time {results['timing']['total_seconds'] / 60:.1f} min.",
        "",
        "Versions: "
        + ", ".join(
            f"{k} {v}" for k, v in results["versions"].items() if k != "platform"
        ),
        "",
    ]
    return "\n".join(lines)


def _plots(results, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = results["runs"]
    methods = list(results["summary"])
    show = [m for m in ("teacher", "scratch", "sleepkd") if m in methods] or methods[
        -1:
    ]
    fig, axes = plt.subplots(
        1, len(show), figsize=(4.2 * len(show), 3.8), squeeze=False
    )
    for ax, m in zip(axes[0], show):
        cm = np.sum([r["confusion"] for r in runs if r["method"] == m], axis=0)
        norm = cm / np.maximum(cm.sum(1, keepdims=True), 1)
        ax.imshow(norm, vmin=0, vmax=1, cmap="Blues")
        for i in range(len(SLEEP_STAGES)):
            for j in range(len(SLEEP_STAGES)):
                ax.text(
                    j,
                    i,
                    int(cm[i, j]),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if norm[i, j] > 0.5 else "black",
                )
        ax.set(
            xticks=range(5),
            yticks=range(5),
            xticklabels=SLEEP_STAGES,
            yticklabels=SLEEP_STAGES,
            xlabel="predicted",
            ylabel="true",
            title=_label(m),
        )
    fig.suptitle(
        "Confusion matrices, all test folds"
        + (" (SIMULATED)" if results["data"]["simulated"] else "")
    )
    fig.tight_layout()
    fig.savefig(out / "confusion.png", dpi=110)
    plt.close(fig)

    h = results["hypnogram"]
    if h:
        rows = ["true"] + [m for m in show if m in h["pred"]]
        fig, axes = plt.subplots(
            len(rows),
            1,
            figsize=(10, 1.4 * len(rows) + 0.6),
            sharex=True,
            squeeze=False,
        )
        order = [0, 4, 1, 2, 3]  # W, REM, N1, N2, N3 from top
        level = {s: -order.index(s) for s in range(5)}
        for ax, row in zip(axes[:, 0], rows):
            seq = h["true"] if row == "true" else h["pred"][row]
            ax.step(
                np.arange(len(seq)) / 120, [level[v] for v in seq], where="post", lw=1
            )
            ax.set_yticks(
                [level[s] for s in range(5)], [SLEEP_STAGES[s] for s in range(5)]
            )
            ax.set_ylabel("true" if row == "true" else _label(row), fontsize=8)
        axes[-1, 0].set_xlabel("hours")
        fig.suptitle(f"Hypnogram, recording {h['recording']} (fold 1, seed 0)")
        fig.tight_layout()
        fig.savefig(out / "hypnogram.png", dpi=110)
        plt.close(fig)

    comp = results["comparisons"]
    fig, ax = plt.subplots(figsize=(1 + 0.7 * len(methods), 3.8))
    if "scratch" in methods:
        by = {(r["method"], r["fold"], r["seed"]): r["kappa"] for r in runs}
        for i, m in enumerate(methods):
            d = [
                100 * (v - by[("scratch", f, s)])
                for (mm, f, s), v in by.items()
                if mm == m and ("scratch", f, s) in by
            ]
            ax.scatter(np.full(len(d), i), d, s=14, alpha=0.7)
            c = comp[m]["vs_scratch"]["kappa"]
            ax.plot([i - 0.25, i + 0.25], [100 * c["mean_diff"]] * 2, color="k")
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_xticks(
            range(len(methods)),
            [_label(m) for m in methods],
            rotation=45,
            ha="right",
            fontsize=8,
        )
        ax.set_ylabel("kappa - scratch kappa (x100)")
        ax.set_title("Per-fold difference to the student from scratch")
    fig.tight_layout()
    fig.savefig(out / "fold_differences.png", dpi=110)
    plt.close(fig)


def write_report(results, out, command=None):
    """Write ``results.json``, ``results.md`` and the three PNG figures to ``out``.

    Parameters
    ----------
    results : dict
        From :func:`~braindecode_sleepkd.evaluation.run_benchmark`.
    out : str | Path
        Folder (created).
    command : str | None
        The exact command line (default: ``sys.argv``).

    Returns
    -------
    Path
        The Markdown file.
    """
    out = Path(out)
    command = command or "sleepkd " + " ".join(sys.argv[1:])
    results = dict(results, command=command, versions=package_versions())
    results["goals"] = goals(results)
    write_results(out, "results", clean(results), markdown(results, command))
    (out / "command.txt").write_text(command + "\n")
    _plots(results, out)
    return out / "results.md"
