"""Decoupled knowledge distillation."""

import torch
import torch.nn.functional as F
from torch import nn

from ._utils import (
    _check_same_shape,
    _check_temperature,
    _flat_logits,
    _hard_labels,
    _kl_from_log_probs,
)


class DKDLoss(nn.Module):
    r"""Decoupled Knowledge Distillation: target-class and non-target-class KD.

    With :math:`p = \operatorname{softmax}(z / T)` and :math:`g` the target class
    of an epoch, the binary distribution
    :math:`b = (p_g, 1 - p_g)` and the distribution among the non-target classes
    :math:`\hat p_c = p_c / (1 - p_g)`, :math:`c \neq g`, give [1]_

    .. math::

        \mathrm{TCKD} = \mathrm{KL}(b^t \,\|\, b^s), \qquad
        \mathrm{NCKD} = \mathrm{KL}(\hat p^t \,\|\, \hat p^s),

        L_{DKD} = \frac{T^2}{N} \sum_{i=1}^{N}
        \left(\alpha\, \mathrm{TCKD}_i + \beta\, \mathrm{NCKD}_i\right),

    averaged over the :math:`N = \text{batch} \times \text{seq\_len}` epochs. This
    follows mdistiller's ``dkd_loss`` (masking the target logit before the
    softmax of NCKD), computed in log space (``log_softmax``/``logsumexp``, the
    target class dropped rather than shifted by :math:`-1000`) so it stays finite
    for extreme logits. mdistiller's linear warm-up of the DKD weight over the
    first epochs is left to the caller. The teacher logits are detached.

    Parameters
    ----------
    alpha : float, default=1.0
        Weight of TCKD.
    beta : float, default=8.0
        Weight of NCKD.
    temperature : float, default=4.0
        Softmax temperature :math:`T > 0`.

    References
    ----------
    .. [1] Zhao, B., Cui, Q., Song, R., Qiu, Y., Liang, J. (2022). Decoupled
       Knowledge Distillation. CVPR 2022, 11953-11962. arXiv:2203.08679.

    Examples
    --------
    >>> import torch
    >>> z = torch.randn(2, 3, 5)
    >>> y = torch.randint(0, 5, (2, 3))
    >>> DKDLoss()(z, z, y).item()
    0.0
    """

    def __init__(self, alpha=1.0, beta=8.0, temperature=4.0):
        super().__init__()
        _check_temperature(temperature)
        self.alpha = alpha
        self.beta = beta
        self.temperature = temperature

    @staticmethod
    def _decouple(log_p, gt_mask):
        """Split ``(N, C)`` log-probs into binary and non-target log-probs."""
        n, n_classes = log_p.shape
        log_gt = log_p[gt_mask]
        log_rest = log_p[~gt_mask].reshape(n, n_classes - 1)
        log_binary = torch.stack([log_gt, torch.logsumexp(log_rest, dim=-1)], dim=-1)
        log_non_target = F.log_softmax(log_rest, dim=-1)
        return log_binary, log_non_target

    def forward(self, student_logits, teacher_logits, target):
        """Compute the loss.

        Parameters
        ----------
        student_logits, teacher_logits : torch.Tensor
            ``(batch, seq_len, n_classes)`` class scores, ``n_classes >= 2``.
        target : torch.Tensor
            Integer labels ``(batch, seq_len)``, or class probabilities
            ``(batch, seq_len, n_classes)`` whose argmax is used.

        Returns
        -------
        torch.Tensor
            Scalar loss.
        """
        _check_same_shape(student_logits, teacher_logits, "logits")
        if student_logits.shape[-1] < 2:
            raise ValueError("DKD needs at least two classes.")
        labels = _hard_labels(student_logits, target)
        t = self.temperature
        log_s = F.log_softmax(_flat_logits(student_logits) / t, dim=-1)
        log_t = F.log_softmax(_flat_logits(teacher_logits).detach() / t, dim=-1)
        gt_mask = F.one_hot(labels, log_s.shape[-1]).bool()
        bin_s, non_s = self._decouple(log_s, gt_mask)
        bin_t, non_t = self._decouple(log_t, gt_mask)
        tckd = _kl_from_log_probs(bin_t, bin_s).mean()
        nckd = _kl_from_log_probs(non_t, non_s).mean()
        return (self.alpha * tckd + self.beta * nckd) * t**2

    def extra_repr(self):
        return f"alpha={self.alpha}, beta={self.beta}, temperature={self.temperature}"
