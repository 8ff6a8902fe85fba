"""Settings the gallery examples share: small, seeded, quiet fits on the sample.

The examples in ``examples/`` train shrunk models for a few epochs on the
embedded sample; :func:`sample_fit_params` holds those estimator settings in one
place and :func:`role_params` routes per-role sizes as ``<role>__<size>``.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

#: Estimator settings of the gallery fits besides ``seq_len`` and ``max_epochs``:
#: small batches (the sample is a few hundred sequences), a learning rate that
#: moves in a few epochs, a fixed seed and no per-epoch printing.
SAMPLE_FIT = dict(batch_size=8, lr=3e-3, random_state=0, verbose=0)


def _whole(name, value):
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}.")
    return int(value)


def sample_fit_params(seq_len, max_epochs, **overrides):
    """Keyword arguments of ``SleepKDClassifier`` for a gallery fit on the sample.

    Parameters
    ----------
    seq_len : int
        Epochs per sequence.
    max_epochs : int
        Training epochs per stage.
    **overrides
        Settings to use instead of ``SAMPLE_FIT`` (e.g. ``lr=1e-3``) or to
        add (e.g. ``strategy="kd"``).

    Returns
    -------
    params : dict
        ``seq_len``, ``max_epochs``, then ``SAMPLE_FIT`` updated by
        ``overrides``.

    Raises
    ------
    ValueError
        If ``seq_len`` or ``max_epochs`` is not a whole number >= 1.
    """
    params = dict(
        seq_len=_whole("seq_len", seq_len), max_epochs=_whole("max_epochs", max_epochs)
    )
    params.update(SAMPLE_FIT)
    params.update(overrides)
    return params


def role_params(sizes):
    """Route per-role sizes to the estimator: ``{role: {k: v}}`` -> ``role__k=v``.

    Parameters
    ----------
    sizes : dict
        ``{role: {size name: value}}``, roles among ``"teacher"``,
        ``"assistant"`` and ``"student"``.

    Returns
    -------
    params : dict
        ``{"<role>__<size name>": value}``.

    Raises
    ------
    ValueError
        On a role that is not one of the three.
    """
    from .models import ROLES

    unknown = sorted(set(sizes) - set(ROLES))
    if unknown:
        raise ValueError(f"Unknown role(s) {unknown}; valid roles are {list(ROLES)}.")
    return {
        f"{role}__{name}": value
        for role, role_sizes in sizes.items()
        for name, value in role_sizes.items()
    }
