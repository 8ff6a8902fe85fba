"""The ``slow`` marker list: applied by node id, and refused when it goes stale."""

from types import SimpleNamespace

import pytest
import slow_tests


class _Item(SimpleNamespace):
    def add_marker(self, mark):
        self.marks.append(mark.name)


def _items(*nodeids):
    return [_Item(nodeid=n, marks=[]) for n in nodeids]


def test_listed_tests_and_all_their_cases_are_marked(monkeypatch):
    monkeypatch.setattr(slow_tests, "SLOW", {"tests/test_a.py::test_big": 30})
    monkeypatch.setattr(slow_tests, "SLOW_CASES", {"tests/test_a.py::test_p[x]": 25})
    items = _items(
        "tests/test_a.py::test_big[1]",
        "tests/test_a.py::test_big[2]",
        "tests/test_a.py::test_p[x]",
        "tests/test_a.py::test_p[y]",
        "tests/test_a.py::test_small",
    )
    slow_tests.mark_slow(items)
    assert [bool(i.marks) for i in items] == [True, True, True, False, False]


def test_stale_entry_of_a_collected_file_is_refused(monkeypatch):
    monkeypatch.setattr(slow_tests, "SLOW", {"tests/test_a.py::test_renamed": 30})
    monkeypatch.setattr(slow_tests, "SLOW_CASES", {})
    with pytest.raises(pytest.UsageError, match="do not exist.*test_renamed"):
        slow_tests.mark_slow(_items("tests/test_a.py::test_new"))
    # a file that was not collected, or single tests asked for by node id: fine
    slow_tests.mark_slow(_items("tests/test_b.py::test_x"))
    slow_tests.mark_slow(_items("tests/test_a.py::test_new"), check_stale=False)


def test_the_real_list_names_existing_tests(request):
    # the session collecting this file ran mark_slow on the real list already;
    # here: each entry's file exists and defines the named test function
    root = request.config.rootpath
    for name in (*slow_tests.SLOW, *slow_tests.SLOW_CASES):
        path, test = name.split("::")
        text = (root / path).read_text()
        assert f"def {test.split('[')[0]}(" in text, name
