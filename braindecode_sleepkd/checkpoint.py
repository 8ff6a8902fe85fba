"""Stage checkpoints: every finished stage and every epoch of a running one.

A fit with ``checkpoint_dir`` writes into one sub-folder per distinct fit: its
name is a hash of the estimator's public parameters (serialised
deterministically) and of the training data (shapes and a content hash of X, y
and external teacher probabilities). Folds of a cross-validation, or points of
a grid, never share a model. Epoch budgets are not part of the identity: a
finished stage is loaded when its budget is the same, continued when the new
budget is larger, and refused when it is smaller.

Each file holds the learner's and the alignments' weights, the history, the
optimizer state and every random state (torch, numpy, Python, the strategy's
own generators), so a killed-and-resumed fit gives the same numbers as an
uninterrupted one.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import hashlib
import json
import random
from pathlib import Path

import numpy as np
import torch
from skorch.history import History
from torch import nn

__all__ = ["StageStore", "data_fingerprint", "describe_params"]

#: Parameters that do not change what a fit computes (or that are budgets).
_NOT_IDENTITY = (
    "max_epochs",
    "teacher_max_epochs",
    "assistant_max_epochs",
    "verbose",
    "callbacks",
    "checkpoint_dir",
    "device",
    "cache_max_gb",
)


def _hash_array(h, value, chunk=256):
    if isinstance(value, np.ndarray) or torch.is_tensor(value):
        arr = np.ascontiguousarray(np.asarray(value))
        h.update(f"{arr.dtype}{arr.shape}".encode())
        # the bytes through the buffer, not a copy (a memory-mapped X of many
        # nights is read page by page, never held in memory)
        h.update(arr.reshape(-1).view(np.uint8))
        return
    n = len(value)  # lazy datasets: hash item by item, in chunks
    h.update(f"lazy{n}".encode())
    for start in range(0, n, chunk):
        part = np.ascontiguousarray(
            np.stack(
                [np.asarray(value[i]) for i in range(start, min(n, start + chunk))]
            )
        )
        h.update(part.tobytes())


def data_fingerprint(X, y, extra=None):
    """Shapes and a content hash of the training data.

    Parameters
    ----------
    X : array-like
        Sequences, an array or a lazy dataset indexable by item.
    y : array-like
        Labels or probabilities.
    extra : array-like | None
        More data that a fit depends on (e.g. external teacher probabilities).

    Returns
    -------
    dict
        ``{"n_items", "y_shape", "sha256"}``.
    """
    h = hashlib.sha256()
    for value in (X, y, extra):
        h.update(b"|")
        if value is not None:
            _hash_array(h, value)
    return {
        "n_items": len(X),
        "y_shape": list(np.shape(y)),
        "sha256": h.hexdigest(),
    }


def _state_hash(module):
    state = module.state_dict()
    h = hashlib.sha256()
    for key in sorted(state):
        h.update(key.encode())
        h.update(state[key].detach().cpu().numpy().tobytes())
    return h.hexdigest()[:16]


def _describe(value, weights_matter):
    if isinstance(value, nn.Module):
        name = f"{type(value).__module__}.{type(value).__qualname__}"
        if weights_matter:
            return f"{name}@{_state_hash(value)}"
        return f"{name}:{hashlib.sha256(repr(value).encode()).hexdigest()[:16]}"
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    if isinstance(value, (set, frozenset)):
        return sorted(_describe(v, weights_matter) for v in value)
    if isinstance(value, (list, tuple)):
        return [_describe(v, weights_matter) for v in value]
    if isinstance(value, dict):
        return {str(k): _describe(v, weights_matter) for k, v in sorted(value.items())}
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{getattr(value, '__module__', '')}.{value.__qualname__}"
    return f"{type(value).__module__}.{type(value).__qualname__}:{value!r}"


def describe_params(params, weights_matter=lambda name: True):
    """The identity of a configuration: public parameters, JSON-ready, ordered.

    Parameters
    ----------
    params : dict
        ``estimator.get_params(deep=False)``.
    weights_matter : callable
        ``weights_matter(name)`` tells whether the weights of a module given as
        parameter ``name`` are part of the identity (a pretrained teacher's are;
        a module re-initialised under the seed is described by its architecture).
    """
    return {
        k: _describe(v, weights_matter(k))
        for k, v in sorted(params.items())
        if not k.startswith("_") and k not in _NOT_IDENTITY
    }


def _random_states(generators):
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
        "numpy": np.random.get_state(),  # noqa: NPY002 (global state)
        "python": random.getstate(),
        "generators": {k: g.get_state() for k, g in generators.items()},
    }


def _set_random_states(states, generators):
    torch.set_rng_state(states["torch"])
    if states.get("cuda") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
    np.random.set_state(states["numpy"])  # noqa: NPY002 (global state)
    random.setstate(states["python"])
    for key, state in states["generators"].items():
        if key in generators:
            generators[key].set_state(state)


class StageStore:
    """The checkpoints of one fit (``directory=None``: nothing is saved).

    Parameters
    ----------
    directory : str | Path | None
        The user's ``checkpoint_dir``; files go to a sub-folder named after
        the fit's identity.
    config : dict
        :func:`describe_params` of the estimator.
    data : dict
        :func:`data_fingerprint` of the training data.
    """

    def __init__(self, directory, config, data):
        self.identity = {"config": config, "data": data}
        text = json.dumps(self.identity, sort_keys=True)
        self.key = hashlib.sha256(text.encode()).hexdigest()[:16]
        self.directory = None if directory is None else Path(directory) / self.key

    def path(self, learner, partial=False):
        """File of ``learner``'s finished (or partial) stage."""
        return self.directory / f"{learner}{'.partial' if partial else ''}.pt"

    def _ensure_dir(self):
        if not self.directory.exists():
            self.directory.mkdir(parents=True, exist_ok=True)
        info = self.directory / "config.json"
        if not info.exists():
            info.write_text(json.dumps(self.identity, indent=1, sort_keys=True))

    @staticmethod
    def _write(path, state):
        tmp = path.with_suffix(".tmp")
        torch.save(state, tmp)
        tmp.replace(path)

    def save(self, learner, stage, net, budget, finished):
        """Write ``learner``'s stage (weights, history, optimizer, random states)."""
        if self.directory is None:
            return
        self._ensure_dir()
        state = {
            "module": stage.learner.state_dict(),
            "alignments": stage.alignments.state_dict(),
            "history": net.history_.to_list(),
            "optimizer": net.optimizer_.state_dict(),
            "random": _random_states(stage.generators()),
            "budget": int(budget),
        }
        self._write(self.path(learner, partial=not finished), state)
        partial = self.path(learner, partial=True)
        if finished and partial.exists():
            partial.unlink()

    def load(self, learner, stage, optimizer, budget, device):
        """Restore ``learner``'s stage and ``optimizer`` if saved.

        Returns
        -------
        status : {"finished", "continue", "partial", None}
            A finished stage with this budget, a finished one to continue to a
            larger budget, an interrupted one, or nothing saved.
        history : skorch.history.History | None
            The saved stage's history (None when nothing was saved).

        Raises
        ------
        ValueError
            If a finished stage ran for a larger budget than ``budget``.
        """
        if self.directory is None or not self.directory.exists():
            return None, None
        for partial, status in ((False, "finished"), (True, "partial")):
            path = self.path(learner, partial=partial)
            if not path.exists():
                continue
            state = torch.load(path, map_location=device, weights_only=False)
            if status == "finished" and state["budget"] > budget:
                raise ValueError(
                    f"checkpoint {path} holds a {learner} stage finished after a "
                    f"budget of {state['budget']} epochs, more than the {budget} "
                    "asked now; use another checkpoint_dir (or the same budget)."
                )
            if status == "finished" and state["budget"] < budget:
                status = "continue"
            stage.learner.load_state_dict(state["module"])
            stage.alignments.load_state_dict(state["alignments"])
            optimizer.load_state_dict(state["optimizer"])
            _set_random_states(state["random"], stage.generators())
            return status, History(state["history"])
        return None, None
