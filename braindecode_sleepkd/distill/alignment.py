"""Feature alignment :math:`\\Phi` between models of different sizes.

SleepKD compares the bigger model's features with the smaller model's through a
learnable alignment :math:`\\Phi` trained with the smaller model. FitNets uses the
same building block in the opposite direction (a regressor from the student's
feature onto the teacher's).
"""

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["FeatureAlignment", "build_alignment", "pool_pair", "pool_to"]

_RESAMPLE = ("auto", "linear", "avgpool")


def _check_shape(shape, name):
    try:
        shape = tuple(int(s) for s in shape)
    except TypeError as err:
        raise TypeError(f"{name} must be a sequence of ints, got {shape!r}.") from err
    if len(shape) not in (2, 3) or any(s < 1 for s in shape):
        raise ValueError(
            f"{name} must be a per-sample feature shape (seq_len, d) or "
            f"(seq_len, d, n_steps) with positive sizes, got {shape}."
        )
    return shape


class FeatureAlignment(nn.Module):
    r"""Learnable map :math:`\Phi` from one feature shape onto another.

    Maps a feature tensor of per-sample shape ``in_shape`` (the bigger model's,
    in SleepKD) onto per-sample shape ``out_shape`` (the smaller model's), so the
    two can be compared with
    :class:`~braindecode_sleepkd.distill.losses.FeatureMSELoss`:

    - ``(seq_len, d_in) -> (seq_len, d_out)``: :class:`torch.nn.Linear` on the
      feature axis;
    - ``(seq_len, d_in, n_in) -> (seq_len, d_out, n_out)``: a 1x1
      :class:`torch.nn.Conv1d` on the feature axis, then resampling of the time
      axis from ``n_in`` to ``n_out`` steps when they differ;
    - ``(seq_len, d_in, n_in) -> (seq_len, d_out)``: the time axis is averaged
      away, then :class:`torch.nn.Linear`;
    - ``(seq_len, d_in) -> (seq_len, d_out, n_out)`` is refused (there is no time
      axis to recover): average the target's time axis instead
      (``small_feat.mean(-1)``) and align onto ``(seq_len, d_out)``.

    The ``seq_len`` entries of the shapes are ignored: the sequence axis (dim 1
    of the batched input) is kept as is, so any ``seq_len`` works at run time.
    The projection is always learnable, even when the shapes are equal, unless
    ``identity_if_same=True`` and the feature shapes (``in_shape[1:]`` and
    ``out_shape[1:]``) are equal, in which case :math:`\Phi` is the identity and
    has no parameters. Parameters use PyTorch's default initialisation, so they
    are deterministic given the torch seed.

    For FitNets, build it in the opposite direction, from the student's shape
    (``in_shape``) to the teacher's (``out_shape``), and train it with the
    student: it is then the hint regressor.

    Parameters
    ----------
    in_shape : tuple of int
        Per-sample shape of the input feature, ``(seq_len, d_in)`` or
        ``(seq_len, d_in, n_in)`` (no batch axis).
    out_shape : tuple of int
        Per-sample shape of the output, ``(seq_len, d_out)`` or
        ``(seq_len, d_out, n_out)``.
    identity_if_same : bool, default=False
        Use the identity (no parameters) when the feature shapes are equal.
    resample : {"auto", "linear", "avgpool"}, default="auto"
        How the time axis is resampled when ``n_in != n_out``: linear
        interpolation (:func:`torch.nn.functional.interpolate`), adaptive
        average pooling (:func:`torch.nn.functional.adaptive_avg_pool1d`), or
        ``"auto"``: average pooling when shrinking, linear interpolation when
        growing.
    bias : bool, default=True
        Whether the projection has a bias.

    Attributes
    ----------
    in_shape, out_shape : tuple of int
        The validated shapes.
    proj : torch.nn.Module
        The projection (:class:`~torch.nn.Linear`, :class:`~torch.nn.Conv1d` or
        :class:`~torch.nn.Identity`).

    References
    ----------
    .. [1] Liang, H., Liu, Y., Wang, H., Jia, Z. (2023). Teacher Assistant-Based
       Knowledge Distillation Extracting Multi-level Features on Single Channel
       Sleep EEG. IJCAI 2023. https://doi.org/10.24963/ijcai.2023/439
    .. [2] Romero, A., Ballas, N., Kahou, S. E., Chassang, A., Gatta, C.,
       Bengio, Y. (2015). FitNets: Hints for Thin Deep Nets. ICLR 2015.

    Examples
    --------
    >>> import torch
    >>> phi = FeatureAlignment((20, 128, 30), (20, 64, 15))
    >>> phi(torch.randn(4, 20, 128, 30)).shape
    torch.Size([4, 20, 64, 15])
    """

    def __init__(
        self, in_shape, out_shape, identity_if_same=False, resample="auto", bias=True
    ):
        super().__init__()
        self.in_shape = _check_shape(in_shape, "in_shape")
        self.out_shape = _check_shape(out_shape, "out_shape")
        if resample not in _RESAMPLE:
            raise ValueError(f"resample must be one of {_RESAMPLE}, got {resample!r}.")
        if len(self.in_shape) == 2 and len(self.out_shape) == 3:
            raise ValueError(
                f"Cannot align a feature without time axis {self.in_shape} onto one "
                f"with a time axis {self.out_shape}: average the target's time axis "
                "(feat.mean(-1)) and align onto (seq_len, d_out) instead."
            )
        self.identity_if_same = identity_if_same
        self.resample = resample
        self.bias = bias
        d_in, d_out = self.in_shape[1], self.out_shape[1]
        if identity_if_same and self.in_shape[1:] == self.out_shape[1:]:
            self.proj = nn.Identity()
        elif len(self.out_shape) == 3:
            self.proj = nn.Conv1d(d_in, d_out, kernel_size=1, bias=bias)
        else:
            self.proj = nn.Linear(d_in, d_out, bias=bias)

    def _resample(self, x, n_out):
        """Resample the last axis of ``(n, d, n_in)`` to ``n_out`` steps."""
        n_in = x.shape[-1]
        if n_in == n_out:
            return x
        mode = self.resample
        if mode == "auto":
            mode = "avgpool" if n_out < n_in else "linear"
        if mode == "avgpool":
            return F.adaptive_avg_pool1d(x, n_out)
        return F.interpolate(x, size=n_out, mode="linear", align_corners=False)

    def forward(self, x):
        """Align a batch of features.

        Parameters
        ----------
        x : torch.Tensor
            ``(batch, seq_len, *in_shape[1:])``; any ``seq_len``.

        Returns
        -------
        torch.Tensor
            ``(batch, seq_len, *out_shape[1:])``.
        """
        if x.ndim != len(self.in_shape) + 1 or tuple(x.shape[2:]) != self.in_shape[1:]:
            raise ValueError(
                "Expected features of shape (batch, seq_len, "
                f"{', '.join(map(str, self.in_shape[1:]))}), got {tuple(x.shape)}."
            )
        batch, seq_len = x.shape[:2]
        if len(self.in_shape) == 3 and len(self.out_shape) == 2:
            x = x.mean(dim=-1)
        if len(self.out_shape) == 2:
            return self.proj(x)
        d_in, n_in = self.in_shape[1:]
        d_out, n_out = self.out_shape[1:]
        x = self.proj(x.reshape(batch * seq_len, d_in, n_in))
        x = self._resample(x, n_out)
        return x.reshape(batch, seq_len, d_out, n_out)

    def extra_repr(self):
        return f"in_shape={self.in_shape}, out_shape={self.out_shape}"


def build_alignment(big_feat, small_feat, **kwargs):
    """Size a :class:`FeatureAlignment` from example batched features (dry run).

    Parameters
    ----------
    big_feat : torch.Tensor
        Example input feature, ``(batch, seq_len, d_in[, n_in])`` (the bigger
        model's in SleepKD; the student's for a FitNets regressor).
    small_feat : torch.Tensor
        Example target feature, ``(batch, seq_len, d_out[, n_out])``.
    **kwargs
        Passed on to :class:`FeatureAlignment` (``identity_if_same``,
        ``resample``, ``bias``).

    Returns
    -------
    FeatureAlignment
        On ``big_feat``'s device, and in its dtype when floating point.

    Examples
    --------
    >>> import torch
    >>> phi = build_alignment(torch.randn(2, 5, 128), torch.randn(2, 5, 32))
    >>> phi(torch.randn(3, 7, 128)).shape
    torch.Size([3, 7, 32])
    """
    for name, feat in (("big_feat", big_feat), ("small_feat", small_feat)):
        if feat.ndim not in (3, 4):
            raise ValueError(
                f"{name} must be a batched feature (batch, seq_len, d[, n_steps]), "
                f"got shape {tuple(feat.shape)}."
            )
    align = FeatureAlignment(
        tuple(big_feat.shape[1:]), tuple(small_feat.shape[1:]), **kwargs
    )
    if torch.is_floating_point(big_feat):
        return align.to(device=big_feat.device, dtype=big_feat.dtype)
    return align.to(device=big_feat.device)


def pool_to(big, like):
    """Parameter-free alignment: pool the guide's features ``big`` to ``like``'s shape.

    The feature axis (dim 2) is max-pooled to the learner's width, as in the
    SleepKD authors' code (``nn.AdaptiveMaxPool1d`` over the teacher's sequence
    features); a time axis (dim 3) is average-pooled to the learner's number of
    steps, or averaged away when the learner's feature has none.

    Parameters
    ----------
    big : torch.Tensor
        ``(batch, seq_len, d_big)`` or ``(batch, seq_len, d_big, n_big)``.
    like : torch.Tensor
        The learner's feature, ``(batch, seq_len, d)`` or ``(batch, seq_len, d, n)``.

    Returns
    -------
    torch.Tensor
        ``big`` with the shape of ``like``.
    """
    if big.ndim == 4 and like.ndim == 3:
        big = big.mean(-1)
    elif big.ndim == 3 and like.ndim == 4:
        raise ValueError(
            "Cannot pool features without a time axis onto features with one; "
            "use a learnable alignment (align='student_to_teacher')."
        )
    b, s = big.shape[:2]
    flat = big.reshape(b * s, *big.shape[2:])
    if big.ndim == 4:
        flat = F.adaptive_avg_pool1d(flat, like.shape[-1])  # time axis
        flat = F.adaptive_max_pool1d(flat.transpose(1, 2), like.shape[2]).transpose(
            1, 2
        )
    else:
        flat = F.adaptive_max_pool1d(flat[:, None], like.shape[-1])[:, 0]
    return flat.reshape(like.shape[0], like.shape[1], *like.shape[2:])


def pool_pair(small, big):
    """Parameter-free alignment of a learner's feature and its guide's.

    As :func:`pool_to`, and where only the learner's feature has a time axis
    (e.g. a guide whose epoch embedding is a flat vector), the learner's is
    average-pooled over time first, so the two always meet in one shape.

    Parameters
    ----------
    small : torch.Tensor
        The learner's feature, ``(batch, seq_len, d)`` or ``(batch, seq_len, d, n)``.
    big : torch.Tensor
        The guide's feature, ``(batch, seq_len, d_big)`` or
        ``(batch, seq_len, d_big, n_big)``.

    Returns
    -------
    small, big : torch.Tensor
        The two features, of one shape.
    """
    if small.ndim == 4 and big.ndim == 3:
        small = small.mean(-1)
    return small, pool_to(big, small)
