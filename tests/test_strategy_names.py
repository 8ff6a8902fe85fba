"""One list of strategy names: the registry; exports, errors and docs follow it."""

import importlib
import re
import sys
from pathlib import Path

import pytest

import braindecode_sleepkd.distill as distill
from braindecode_sleepkd.distill import make_strategy, strategies
from braindecode_sleepkd.distill.strategies import base

ROOT = Path(__file__).resolve().parents[1]
STRATEGIES_PKG = sys.modules["braindecode_sleepkd.distill.strategies"]
NOT_STRATEGIES = {"__init__", "base", "features"}  # shared machinery


def test_registry_holds_one_strategy_per_module():
    folder = Path(STRATEGIES_PKG.__file__).parent
    modules = sorted(
        p.stem for p in folder.glob("*.py") if p.stem not in NOT_STRATEGIES
    )
    registered = {}
    for name in strategies():
        cls = base.get_strategy_class(name)
        registered[cls.__module__.rsplit(".", 1)[1]] = name
    assert sorted(registered) == modules
    assert all(module == name for module, name in registered.items())


def test_exports_come_from_the_registry_and_one_api_list():
    classes = {base.get_strategy_class(n).__name__ for n in strategies()}
    assert set(STRATEGIES_PKG.__all__) == set(base.__all__) | classes
    assert set(base.__all__) <= set(distill.__all__)
    for name in STRATEGIES_PKG.__all__:
        assert getattr(STRATEGIES_PKG, name) is not None
    for name in distill.__all__:
        assert hasattr(distill, name), name
    assert distill.make_strategy is base.make_strategy
    assert importlib.import_module("braindecode_sleepkd").strategies is strategies


def test_unknown_strategy_error_lists_the_registry():
    with pytest.raises(ValueError) as err:
        make_strategy("kd2")
    assert f"valid strategies are: {', '.join(strategies())}." in str(err.value)


def _readme_strategies():
    text = (ROOT / "README.md").read_text()
    line = re.search(r"Strategies \(`strategy=`\):(.*?);", text, re.S).group(1)
    return re.findall(r"`(\w+)`", line)


def _user_guide_strategies():
    text = (ROOT / "docs" / "user_guide.rst").read_text()
    section = text.split("Distillation strategies\n", 1)[1]
    table = section.split("============  ====", 2)[1]
    return re.findall(r"^``(\w+)``", table, re.M)


@pytest.mark.parametrize("listed", [_readme_strategies, _user_guide_strategies])
def test_docs_name_exactly_the_registered_strategies(listed):
    names = listed()
    assert len(names) == len(set(names))
    assert sorted(names) == strategies()


def test_benchmark_rows_come_from_the_registry():
    from braindecode_sleepkd.evaluation import runner

    assert set(runner.DISTILLATION) == set(strategies()) - {"scratch"}
    assert runner.METHODS == runner.BASELINES + runner.DISTILLATION
    assert runner.DISTILLATION[-1] == "sleepkd"
    for name in runner.DISTILLATION:
        cls = base.get_strategy_class(name)
        assert runner.LABELS[name] == cls.__name__
        expected = ["assistant", "student"] if cls.uses_assistant else ["student"]
        assert runner._stages(name) == expected
