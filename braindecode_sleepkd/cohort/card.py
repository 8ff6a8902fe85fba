"""The model card of a student distilled from a cohort: markdown and JSON."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

#: Scores shown per model, in this order.
METRICS = ("kappa", "macro_f1", "accuracy")


@dataclass
class ModelCard:
    """What a distilled student was made from and how well it does.

    Attributes
    ----------
    data : dict
        Nights found, used (scored, unscored, validation), epochs, skipped
        nights with reasons, channel and rate.
    teacher : dict
        The scorer's configuration, its time and the cached nights.
    student : dict
        Preset, parameters, ONNX size in MB, epochs per second (onnxruntime, the
        machine that distilled it), training settings.
    validation : dict
        Per model (``teacher``, members, ``student_alone``, ``student``):
        kappa, macro-F1 and accuracy on the validation nights; the student's
        agreement with the teacher; ``gap_closed``.
    command : str
        The command (or call) that made the student.
    """

    data: dict = field(default_factory=dict)
    teacher: dict = field(default_factory=dict)
    student: dict = field(default_factory=dict)
    validation: dict = field(default_factory=dict)
    command: str = ""

    def to_dict(self):
        """The card as plain data (the JSON file)."""
        return asdict(self)

    def to_markdown(self):
        """The card as a markdown page."""
        d, t, s, v = self.data, self.teacher, self.student, self.validation
        lines = [
            "# Model card: distilled sleep-staging student",
            "",
            f"Made by: `{self.command}`",
            "",
            "## Data",
            f"- nights found: {d.get('n_found')}, used: {d.get('n_used')} "
            f"({d.get('n_scored')} scored, {d.get('n_unscored')} unscored); "
            f"validation nights: {d.get('n_validation')}",
            f"- epochs for training: {d.get('n_train_epochs')} "
            f"({d.get('n_train_scored_epochs')} scored); channel "
            f"{d.get('channel')}, {d.get('sfreq')} Hz",
            f"- skipped: {len(d.get('skipped', {}))}",
        ]
        lines += [f"  - {k}: {why}" for k, why in d.get("skipped", {}).items()]
        lines += _listed("resampled (MNE)", d.get("resampled"))
        lines += _listed("hypnograms one epoch off the night", d.get("hypnogram_notes"))
        lines += [
            "",
            "## Teacher",
            f"- {json.dumps(t.get('config'))}",
            f"- scoring: {t.get('seconds', 0):.1f} s for {d.get('n_used')} nights "
            f"({t.get('n_cached')} from the cache)",
            "",
            "## Student",
            f"- {s.get('preset')}: {s.get('n_parameters')} parameters, "
            f"{s.get('size_mb', 0):.3f} MB as ONNX, "
            f"{s.get('epochs_per_s', 0):.0f} epochs/s (onnxruntime, this machine)",
            f"- strategy {s.get('strategy')} (recipe {s.get('recipe')}, hard "
            f"weight {s.get('hard_weight')}), {s.get('max_epochs')} epochs "
            f"({s.get('optimiser_steps')} optimiser steps), "
            f"seq_len {s.get('seq_len')}, scaling {s.get('scaling')}",
        ]
        lines += [f"- {stage}" for stage in s.get("stages", [])]
        lines += [f"- baseline {stage}" for stage in s.get("baseline_stages", [])]
        lines += ["", "## Validation"]
        lines += [f"- WARNING: {w}" for w in v.get("warnings", [])]
        scores = v.get("scores", {})
        if scores:
            lines += ["| model | " + " | ".join(METRICS) + " |"]
            lines += ["|---" * (len(METRICS) + 1) + "|"]
            for name, row in scores.items():
                cells = [_cell(row.get(m)) for m in METRICS]
                lines.append(f"| {name} | " + " | ".join(cells) + " |")
            lines.append("")
        else:
            lines.append("No scored validation night: only agreement is measured.")
        lines.append(
            f"- student vs teacher agreement: {_cell(v.get('agreement'))} "
            f"(on {v.get('agreement_on')})"
        )
        if v.get("majority_accuracy") is not None:
            lines.append(
                "- always the most frequent training stage: accuracy "
                f"{_cell(v['majority_accuracy'])}"
            )
        gap = v.get("gap_note") or _cell(v.get("gap_closed"))
        lines.append(f"- share of the gap closed (kappa): {gap}")
        return "\n".join(lines) + "\n"

    def write(self, folder):
        """Write ``model_card.md`` and ``model_card.json`` in ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "model_card.md").write_text(self.to_markdown(), encoding="utf-8")
        (folder / "model_card.json").write_text(
            json.dumps(self.to_dict(), indent=2, default=str) + "\n", encoding="utf-8"
        )
        return folder / "model_card.md"


def _listed(title, items):
    """A markdown list of ``items`` (name -> text) under ``title``; [] if none."""
    if not items:
        return []
    return [f"- {title}: {len(items)}"] + [f"  - {k}: {v}" for k, v in items.items()]


def _cell(value):
    return "n/a" if value is None else f"{value:.3f}"
