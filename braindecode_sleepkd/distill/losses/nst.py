"""Neuron selectivity transfer (MMD between feature-map distributions)."""

import torch
import torch.nn.functional as F
from torch import nn


class NSTLoss(nn.Module):
    r"""Neuron Selectivity Transfer: MMD between neuron activation distributions.

    Each feature channel is a *neuron*; its activation pattern over the
    :math:`P` positions of one sample (``seq_len`` or ``seq_len * n_steps``) is
    L2-normalised, :math:`\tilde f_{k} = f_{k} / \lVert f_{k} \rVert_2`. For one
    sample with student neurons :math:`\{\tilde s_i\}_{i=1}^{d_s}` and teacher
    neurons :math:`\{\tilde t_j\}_{j=1}^{d_t}` the loss is the (biased) squared
    maximum mean discrepancy [1]_

    .. math::

        \mathcal{L}_{MMD^2} = \frac{1}{d_s^2} \sum_{i,i'} k(\tilde s_i, \tilde s_{i'})
        + \frac{1}{d_t^2} \sum_{j,j'} k(\tilde t_j, \tilde t_{j'})
        - \frac{2}{d_s d_t} \sum_{i,j} k(\tilde s_i, \tilde t_j),

    averaged over the batch, with the polynomial kernel
    :math:`k(x, y) = (x^\top y + c)^{p}` (default :math:`p=2, c=0`, as in the
    official implementation), the linear kernel :math:`k(x, y) = x^\top y`, or the
    Gaussian kernel :math:`k(x, y) = \exp(-\lVert x - y \rVert^2 / 2\sigma^2)`.
    Student and teacher may have different numbers of neurons but must share the
    position axis; the loss is invariant to a permutation of the channels. It is
    a mean over samples (not epochs): positions of the whole sequence form one
    distribution. The teacher feature is detached.

    Parameters
    ----------
    kernel : {"poly", "linear", "gaussian"}, default="poly"
        Kernel of the MMD.
    degree : int, default=2
        Degree :math:`p` of the polynomial kernel.
    c : float, default=0.0
        Offset :math:`c \geq 0` of the polynomial kernel.
    sigma : float, default=1.0
        Bandwidth of the Gaussian kernel.
    eps : float, default=1e-12
        Lower bound of the norm in the L2 normalisation (all-zero neurons stay
        zero).

    References
    ----------
    .. [1] Huang, Z., Wang, N. (2017). Like What You Like: Knowledge Distill via
       Neuron Selectivity Transfer. arXiv:1707.01219.

    Examples
    --------
    >>> import torch
    >>> f = torch.randn(2, 3, 8)
    >>> abs(NSTLoss()(f, f[..., torch.randperm(8)]).item()) < 1e-6
    True
    """

    _KERNELS = ("poly", "linear", "gaussian")

    def __init__(self, kernel="poly", degree=2, c=0.0, sigma=1.0, eps=1e-12):
        super().__init__()
        if kernel not in self._KERNELS:
            raise ValueError(f"kernel must be one of {self._KERNELS}, got {kernel!r}.")
        if int(degree) != degree or degree < 1:
            raise ValueError(f"degree must be a positive integer, got {degree}.")
        if c < 0:
            raise ValueError(f"c must be >= 0 (a PSD kernel), got {c}.")
        if not sigma > 0:
            raise ValueError(f"sigma must be > 0, got {sigma}.")
        self.kernel = kernel
        self.degree = int(degree)
        self.c = c
        self.sigma = sigma
        self.eps = eps

    def _neurons(self, feat):
        """``(batch, seq_len, d[, n_steps])`` -> L2-normalised ``(batch, d, P)``."""
        if feat.ndim == 3:
            feat = feat.unsqueeze(-1)
        batch, seq_len, d, n_steps = feat.shape
        neurons = feat.permute(0, 2, 1, 3).reshape(batch, d, seq_len * n_steps)
        return F.normalize(neurons, dim=-1, eps=self.eps)

    def _kernel(self, a, b):
        gram = a @ b.transpose(1, 2)
        if self.kernel == "linear":
            return gram
        if self.kernel == "poly":
            return (gram + self.c) ** self.degree
        sq_a = (a * a).sum(-1)
        sq_b = (b * b).sum(-1)
        sq_dist = (sq_a[:, :, None] + sq_b[:, None, :] - 2 * gram).clamp_min(0)
        return torch.exp(-sq_dist / (2 * self.sigma**2))

    def forward(self, student_feat, teacher_feat):
        """Compute the loss.

        Parameters
        ----------
        student_feat : torch.Tensor
            ``(batch, seq_len, d_s)`` or ``(batch, seq_len, d_s, n_steps)``.
        teacher_feat : torch.Tensor
            ``(batch, seq_len, d_t)`` or ``(batch, seq_len, d_t, n_steps)``, same
            batch, ``seq_len`` and ``n_steps`` as the student.

        Returns
        -------
        torch.Tensor
            Scalar loss.
        """
        for name, f in (("student", student_feat), ("teacher", teacher_feat)):
            if f.ndim not in (3, 4):
                raise ValueError(
                    f"{name} features must be (batch, seq_len, d) or "
                    f"(batch, seq_len, d, n_steps), got {tuple(f.shape)}."
                )
        s_shape, t_shape = student_feat.shape, teacher_feat.shape
        if s_shape[:2] != t_shape[:2] or s_shape[3:] != t_shape[3:]:
            raise ValueError(
                "Student and teacher features must share batch, seq_len and "
                f"n_steps (the position axis), got {tuple(s_shape)} and "
                f"{tuple(t_shape)}."
            )
        s = self._neurons(student_feat)
        t = self._neurons(teacher_feat.detach())
        return (
            self._kernel(s, s).mean()
            + self._kernel(t, t).mean()
            - 2 * self._kernel(s, t).mean()
        )

    def extra_repr(self):
        if self.kernel == "poly":
            return f"kernel='poly', degree={self.degree}, c={self.c}"
        if self.kernel == "gaussian":
            return f"kernel='gaussian', sigma={self.sigma}"
        return "kernel='linear'"
