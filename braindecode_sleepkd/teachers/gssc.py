"""The Greifswald Sleep Stage Classifier (GSSC) as a pretrained neural teacher.

GSSC (Hanna & Flöel, Front. Neuroinform. 2023; ``pip install gssc``,
**AGPL-3.0**) is a PyTorch sleep stager whose weights ship inside its wheel:
a 1-D ResNet per 30-s epoch (``ResSleep``; its EEG branch gives a 512-d epoch
embedding) and a 5-layer bidirectional GRU over the embeddings
(``SleepGRU``). :class:`GSSCTeacher` wraps its EEG-only path as a model of this
package: ``forward_features(x)`` on sequences ``(batch, seq_len, 1, n_times)``
returns the three levels that SleepKD distils (logits, epoch features,
sequence features), so a user can write
``SleepKDClassifier(GSSCTeacher(), assistant, student, teacher_pretrained=True)``.

``gssc`` is an optional extra (``pip install braindecode-sleepkd[gssc]``),
imported only when a teacher is built; none of its code is copied here. Its
networks are rebuilt from its own classes and its weights are read with
``torch.load(weights_only=True)``: the shipped files are pickled whole modules,
so every class in them is mapped to an inert placeholder and only the tensors
are kept (no code from the files runs), then loaded as state dicts.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import hashlib
import warnings
from collections import OrderedDict
from importlib.resources import files

import numpy as np
import torch
from torch import nn

from ..models.sequence import SleepFeatures, check_signal
from .gssc_preprocessing import gssc_epochs, gssc_preprocess

__all__ = [
    "GSSCTeacher",
    "gssc_preprocess",
    "load_gssc_networks",
    "read_gssc_state_dict",
]

INSTALL_HINT = "pip install braindecode-sleepkd[gssc]"
#: The weight files inside the ``gssc`` wheel (``gssc/nets/``).
CHECKPOINTS = {"signal": "sig_net_v1.pt", "context": "gru_net_v1.pt"}
#: Layers of the signal network's EEG branch (``Conv 0``, 49 res. blocks, bottleneck).
N_SIGNAL_LAYERS = 51
EPOCH_LEVELS = ("embedding", "resnet")
HEADS = ("gru", "epoch")
#: Sequences remembered by default (``memory=True``).
DEFAULT_MEMORY = 4096


def _import_gssc():
    """``(gssc.networks, gssc.utils)``, or an ImportError saying how to install."""
    try:
        from gssc import networks, utils
    except ImportError as exc:
        raise ImportError(
            "GSSCTeacher needs the optional dependency 'gssc' (the Greifswald "
            "Sleep Stage Classifier and its pretrained weights; licence "
            f"AGPL-3.0); install it with `{INSTALL_HINT}` (or "
            "`pip install gssc==0.0.9`)."
        ) from exc
    return networks, utils


def _build_networks():
    """GSSC's signal and context networks, untrained, from ``gssc``'s classes.

    The configuration is the one that made the shipped weights
    (``gssc/model_prepare.py`` of gssc 0.0.9).
    """
    networks, utils = _import_gssc()
    blueprints = {
        "eog": utils.make_blueprint(4, 8, 10, None, 0),
        "eeg": utils.make_blueprint(4, 8, 10, 2, 4),
    }
    signal = networks.ResSleep(
        ["eeg", "eog"],
        blueprints,
        5,
        5,
        {"eeg": [512], "eog": [512], "eeg eog": [1024, 512, 512]},
        fc_dec=[512, 512, 512],
        norm=True,
        dropout=0.5,
    )
    context = networks.SleepGRU(
        512, 256, 5, 5, bidirectional=True, norm=True, dropout=0.5
    )
    return signal, context


#: Where the classes of a pickled GSSC module may come from.
_MODULE_PREFIXES = ("gssc.networks.", "torch.nn.modules.")


class _Pickled:
    """Inert stand-in for every module class named in a pickled checkpoint."""


def _tensors(obj, prefix=""):
    """The parameters and buffers of an unpickled module tree, as a state dict."""
    state = OrderedDict()
    attrs = getattr(obj, "__dict__", {})
    for key in ("_parameters", "_buffers"):
        for name, value in (attrs.get(key) or {}).items():
            if value is not None:
                state[prefix + name] = value.detach().clone()
    for name, child in (attrs.get("_modules") or {}).items():
        if child is not None:
            state.update(_tensors(child, f"{prefix}{name}."))
    return state


def read_gssc_state_dict(path):
    """Read the tensors of a pickled-module GSSC checkpoint with ``weights_only=True``.

    The shipped ``.pt`` files are whole modules pickled with
    ``torch.save(module)``, which ``torch.load``'s default (``weights_only=True``
    since torch 2.6) refuses. Here the globals the file names (as listed by
    ``torch.serialization.get_unsafe_globals_in_checkpoint``) must be module
    classes of ``gssc.networks`` or ``torch.nn`` (or numpy scalars and dtypes);
    each class is allowed only as an inert placeholder object, so no code from
    the file runs; the parameters and buffers are then collected from the
    placeholders.

    Parameters
    ----------
    path : str | pathlib.Path | importlib.resources.abc.Traversable
        The checkpoint.

    Returns
    -------
    state_dict : collections.OrderedDict of str to torch.Tensor
        Keys as in ``module.state_dict()``.

    Raises
    ------
    ValueError
        The file names any other global (e.g. a function), or holds no
        parameters.
    """
    names = torch.serialization.get_unsafe_globals_in_checkpoint(path)
    numpy_names = {
        "numpy.dtype",
        "numpy.core.multiarray.scalar",
        "numpy._core.multiarray.scalar",
    }
    unknown = sorted(
        n for n in names if n not in numpy_names and not n.startswith(_MODULE_PREFIXES)
    )
    if unknown:
        raise ValueError(
            f"{path} names globals that are not module classes of gssc or "
            f"torch.nn: {unknown}; refusing to read it."
        )
    allowed = [(_Pickled, n) for n in names if n not in numpy_names]
    core = getattr(np, "_core", None) or np.core  # numpy >= 2 / < 2
    allowed += [
        (np.dtype, "numpy.dtype"),
        (core.multiarray.scalar, "numpy.core.multiarray.scalar"),
        (core.multiarray.scalar, "numpy._core.multiarray.scalar"),
    ]
    dtypes = getattr(np, "dtypes", None)  # numpy >= 1.25
    allowed += [getattr(dtypes, n) for n in dir(dtypes or ()) if n.endswith("DType")]
    with torch.serialization.safe_globals(allowed):
        obj = torch.load(path, map_location="cpu", weights_only=True)
    state = _tensors(obj)
    if not state:
        raise ValueError(f"{path} holds no module parameters.")
    return state


def load_gssc_networks():
    """GSSC's pretrained signal (``ResSleep``) and context (``SleepGRU``) networks.

    Rebuilt from ``gssc``'s classes and loaded (strictly) from the weights
    shipped in the ``gssc`` package, read with :func:`read_gssc_state_dict`.

    Returns
    -------
    signal, context : torch.nn.Module
        In eval mode.

    Raises
    ------
    ImportError
        ``gssc`` is not installed.
    """
    signal, context = _build_networks()
    folder = files("gssc.nets")
    for net, key in ((signal, "signal"), (context, "context")):
        net.load_state_dict(read_gssc_state_dict(folder.joinpath(CHECKPOINTS[key])))
        net.eval()
    return signal, context


class _SharedMemory:
    """Outputs by input hash, shared (not copied) by deep copies of the teacher.

    Holds at most ``max_items`` entries; the least recently used go first.
    """

    def __init__(self, max_items):
        self.items = OrderedDict()
        self.max_items = int(max_items)

    def get(self, key):
        value = self.items.get(key)
        if value is not None:
            self.items.move_to_end(key)
        return value

    def put(self, key, value):
        self.items[key] = value
        self.items.move_to_end(key)
        while len(self.items) > self.max_items:
            self.items.popitem(last=False)

    def __deepcopy__(self, memo):
        return self

    def __len__(self):
        return len(self.items)

    def clear(self):
        self.items.clear()


class GSSCTeacher(nn.Module):
    """GSSC's pretrained EEG network as a frozen SleepKD teacher.

    ``forward_features(x)`` maps sequences ``(batch, seq_len, 1, n_times)``
    (each item 30-s epochs at the data's sampling rate) to
    :class:`~braindecode_sleepkd.models.SleepFeatures`:

    - ``logits`` ``(batch, seq_len, 5)``: GSSC's log-probabilities of W, N1,
      N2, N3, REM, from its bidirectional GRU over the sequence (``head="gru"``)
      or from its per-epoch head (``head="epoch"``);
    - ``epoch_features``: the 512-d epoch embedding ``(batch, seq_len, 512)``
      (``epoch_level="embedding"``), the last ResNet stage
      ``(batch, seq_len, 256, 5)`` (``"resnet"``), or the output of layer ``k``
      of the ResNet (``epoch_level=k``, 0..50), ``(batch, seq_len, C, T)``;
    - ``sequence_features`` ``(batch, seq_len, 512)``: the GRU's outputs
      (forward and backward states).

    Each epoch is resampled to 2560 samples inside the teacher, exactly as
    GSSC's own pipeline does (MNE's FFT method on 30 s plus one sample,
    :func:`~braindecode_sleepkd.teachers.gssc_preprocessing.gssc_epochs`).
    Filtering to 0.3-30 Hz and the per-recording z-score need the whole
    recording: apply
    :func:`~braindecode_sleepkd.teachers.gssc_preprocessing.gssc_preprocess` to
    the windows given to ``fit`` and ``predict`` (every role then sees that
    signal). The GRU runs over the ``seq_len`` epochs of each item, from a zero
    state, so its context is the sequence, not the night.

    Parameters
    ----------
    epoch_level : {"embedding", "resnet"} | int, default="embedding"
        Which epoch-level features to return.
    head : {"gru", "epoch"}, default="gru"
        Where the logits come from.
    memory : bool | int, default=True
        Remember the outputs of items seen in eval mode without gradients,
        keyed by a hash of their values, so that repeated fits on the same
        inputs (cross-validation, seeds) run GSSC once per sequence. An int
        is the most sequences kept (True: 4096, about 170 MB at
        ``seq_len=10``; the least recently used are dropped); False or 0
        turns it off. Deep copies of the teacher (the estimator copies the
        instance it is given) share this memory. Inputs that change at every
        batch (views, augmentation) gain nothing from it: use ``memory=False``
        there.
    check_input : bool, default=True
        Warn once when a batch does not look standardised (standard deviation
        outside 0.05-10), which usually means :func:`gssc_preprocess` was not
        applied.

    Attributes
    ----------
    signal_net : torch.nn.Module
        The EEG branch of GSSC's ``ResSleep`` (``sig_net["eeg"]``).
    mixer : torch.nn.Module
        Its EEG mixer (``mix_net["eeg"]``): ResNet output -> 512-d embedding.
    epoch_head : torch.nn.Module
        Its per-epoch decision network (``dec_net``).
    context_net : torch.nn.Module
        GSSC's ``SleepGRU``.
    n_chans, n_classes : int
        1 and 5. ``n_times`` is None: any number of samples per 30-s epoch.

    Notes
    -----
    GSSC's own ``prepare_inst`` crops a recording by ``raw.times[-1]``, so an
    exactly 1800-s recording loses its last epoch; this teacher scores every
    window it is given. The EOG branch and the EEG+EOG mixers of ``ResSleep``
    are loaded and then dropped (EEG-only inference).

    References
    ----------
    Hanna J., Flöel A. An accessible and versatile deep learning-based sleep
    stage classifier. Front. Neuroinform. 17:1086634, 2023.

    Examples
    --------
    >>> teacher = GSSCTeacher()  # doctest: +SKIP
    >>> out = teacher.forward_features(torch.randn(2, 10, 1, 3000))  # doctest: +SKIP
    >>> out.epoch_features.shape, out.sequence_features.shape  # doctest: +SKIP
    (torch.Size([2, 10, 512]), torch.Size([2, 10, 512]))
    """

    n_chans = 1
    n_times = None
    n_classes = 5

    def __init__(
        self, epoch_level="embedding", head="gru", memory=True, check_input=True
    ):
        super().__init__()
        if not (
            epoch_level in EPOCH_LEVELS
            or (
                isinstance(epoch_level, (int, np.integer))
                and not isinstance(epoch_level, bool)
                and 0 <= epoch_level < N_SIGNAL_LAYERS
            )
        ):
            raise ValueError(
                f"epoch_level must be one of {EPOCH_LEVELS} or a layer index 0.."
                f"{N_SIGNAL_LAYERS - 1}, got {epoch_level!r}."
            )
        if head not in HEADS:
            raise ValueError(f"head must be one of {HEADS}, got {head!r}.")
        max_items = {True: DEFAULT_MEMORY, False: 0}.get(memory, memory)
        if (
            isinstance(max_items, bool)
            or not isinstance(max_items, (int, np.integer))
            or max_items < 0
        ):
            raise ValueError(
                f"memory must be True, False or a number of sequences >= 0, got "
                f"{memory!r}."
            )
        self.epoch_level = epoch_level
        self.head = head
        self.memory = memory
        self.check_input = check_input
        signal, context = load_gssc_networks()
        self.signal_net = signal.sig_net["eeg"]
        self.mixer = signal.mix_net["eeg"]
        self.epoch_head = signal.dec_net
        self.context_net = context
        self.requires_grad_(False)
        self.eval()
        self._memory = _SharedMemory(int(max_items))
        self._warned = False

    # ------------------------------------------------------------ pieces
    def prepare_input(self, x):
        """Epochs ``(batch * seq_len, 1, 2560)`` as GSSC's signal network takes them."""
        return gssc_epochs(x)

    def _signal(self, epochs):
        """ResNet output ``(n, 256, 5)`` and the requested intermediate layer."""
        tap = None
        out = epochs
        for k, layer in enumerate(self.signal_net.net.children()):
            out = layer(out)
            if k == self.epoch_level:
                tap = out
        return out, tap

    def _context(self, embeddings):
        """GRU outputs and log-probabilities for ``(batch, seq_len, 512)`` inputs."""
        gru = self.context_net
        seq_first = embeddings.transpose(0, 1)
        layers = gru.gru.num_layers * (2 if gru.gru.bidirectional else 1)
        hidden = seq_first.new_zeros(layers, seq_first.shape[1], gru.gru.hidden_size)
        states, _ = gru.gru(seq_first, hidden)
        out = states
        if gru.do_norm:
            out = gru.norm(out.transpose(1, 2)).transpose(1, 2)
        out = gru.softmax(gru.fc(gru.dropout(gru.relu(out))))
        return states.transpose(0, 1), out.transpose(0, 1)

    def _compute(self, x):
        batch, seq_len = x.shape[:2]
        resnet, tap = self._signal(self.prepare_input(x))
        mixed = self.mixer(resnet.reshape(len(resnet), -1, 1))
        embeddings = mixed[..., 0].reshape(batch, seq_len, -1)
        states, log_proba = self._context(embeddings)
        if self.head == "epoch":
            log_proba = self.epoch_head(mixed)[..., 0].reshape(batch, seq_len, -1)
        if self.epoch_level == "embedding":
            epoch_features = embeddings
        else:
            feat = resnet if self.epoch_level == "resnet" else tap
            epoch_features = feat.reshape(batch, seq_len, *feat.shape[1:])
        return SleepFeatures(log_proba, epoch_features, states)

    def _warn_if_raw(self, x):
        if not self.check_input or self._warned or x.numel() < 2:
            return
        std = float(x.detach().float().std())
        if not 0.05 <= std <= 10.0:
            self._warned = True
            warnings.warn(
                f"GSSCTeacher got a batch with standard deviation {std:.3g}; GSSC "
                "expects each recording band-passed and z-scored "
                "(apply braindecode_sleepkd.teachers.gssc_preprocessing."
                "gssc_preprocess to the windows first).",
                stacklevel=3,
            )

    def _key(self, item):
        data = np.ascontiguousarray(item.detach().cpu().numpy(), dtype=np.float32)
        h = hashlib.sha1(data.tobytes())
        h.update(repr((data.shape, self.epoch_level, self.head)).encode())
        return h.hexdigest()

    # ------------------------------------------------------------ API
    def forward_features(self, x):
        """Return :class:`~braindecode_sleepkd.models.SleepFeatures` of ``x``.

        Parameters
        ----------
        x : torch.Tensor
            ``(batch, seq_len, 1, n_times)``, 30-s epochs preprocessed with
            :func:`~braindecode_sleepkd.teachers.gssc_preprocessing.gssc_preprocess`.
        """
        check_signal(x, n_chans=1)
        if x.shape[-1] < 2:
            raise ValueError(f"Expected >= 2 samples per epoch, got {x.shape[-1]}.")
        self._warn_if_raw(x)
        remember = (
            bool(self.memory)
            and self._memory.max_items > 0
            and not self.training
            and not torch.is_grad_enabled()
        )
        if not remember:
            return self._compute(x)
        keys = [self._key(item) for item in x]
        found = {k: self._memory.get(k) for k in dict.fromkeys(keys)}
        todo = [k for k, v in found.items() if v is None]
        if todo:
            index = [keys.index(k) for k in todo]
            out = self._compute(x[index])
            for j, k in enumerate(todo):
                found[k] = tuple(level[j].cpu() for level in out)
                self._memory.put(k, found[k])
        levels = zip(*(found[k] for k in keys))
        return SleepFeatures(*(torch.stack(lv).to(x.device) for lv in levels))

    def forward(self, x):
        """Log-probabilities ``(batch, seq_len, 5)`` of W, N1, N2, N3, REM."""
        return self.forward_features(x).logits

    def clear_memory(self):
        """Forget the remembered outputs (shared with the teacher's copies)."""
        self._memory.clear()

    def extra_repr(self):
        return (
            f"epoch_level={self.epoch_level!r}, head={self.head!r}, "
            f"memory={self.memory}, remembered={len(self._memory)}"
        )
