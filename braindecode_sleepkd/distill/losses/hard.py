"""The hard term: cross-entropy with the labels."""

import torch
import torch.nn.functional as F
from torch import nn

from ...constants import UNLABELLED
from ._utils import _flat_logits, _is_probability_target


class HardCELoss(nn.Module):
    r"""Cross-entropy with the ground truth over all epochs (:math:`L_{hard}`).

    .. math::

        L_{hard} = -\frac{1}{\sum_{i} w_i} \sum_{i=1}^{N} \sum_{c=1}^{C}
        w_c\, y_{i,c} \log \operatorname{softmax}(z_i)_c,
        \qquad w_i = \sum_c w_c\, y_{i,c},

    where :math:`i` runs over the :math:`N = \text{batch} \times \text{seq\_len}`
    epochs, :math:`z_i` are the logits and :math:`y_{i,c}` is the one-hot label or
    the class probability of epoch :math:`i`. Without class weights
    (:math:`w_c = 1`) the normaliser is :math:`N`, the plain mean. With integer
    labels this is exactly :func:`torch.nn.functional.cross_entropy` (weighted
    mean); probability targets use the same normaliser, so one-hot probabilities
    give the same value as the corresponding integer labels, with or without
    class weights (this differs from ``F.cross_entropy`` with probability targets
    and weights, which divides by :math:`N`).

    Parameters
    ----------
    weight : torch.Tensor or None, default=None
        Class weights ``(n_classes,)``; kept as a buffer so it follows
        ``.to(device)``.
    ignore_index : int, default=-1
        Integer label of epochs without a label (unscored epochs, scikit-learn's
        semi-supervised convention); they are left out of the mean, and so are
        all-zero rows of probability targets (e.g. mixed views of an unscored
        epoch). A batch without any labelled epoch gives 0 (with a gradient of 0).

    References
    ----------
    .. [1] Liang, H., Liu, Y., Wang, H., Jia, Z. (2023). Teacher Assistant-Based
       Knowledge Distillation Extracting Multi-level Features on Single Channel
       Sleep EEG. IJCAI 2023, 3948-3956. https://doi.org/10.24963/ijcai.2023/439

    Examples
    --------
    >>> import torch
    >>> loss = HardCELoss()
    >>> logits = torch.zeros(2, 3, 5)
    >>> y = torch.zeros(2, 3, dtype=torch.long)
    >>> round(loss(logits, y).item(), 4)  # log(5)
    1.6094
    """

    def __init__(self, weight=None, ignore_index=UNLABELLED):
        super().__init__()
        self.register_buffer(
            "weight", None if weight is None else torch.as_tensor(weight).float()
        )
        self.ignore_index = ignore_index

    def forward(self, logits, y):
        """Compute the loss.

        Parameters
        ----------
        logits : torch.Tensor
            ``(batch, seq_len, n_classes)`` class scores.
        y : torch.Tensor
            Integer labels ``(batch, seq_len)`` or float class probabilities
            ``(batch, seq_len, n_classes)`` (e.g. the average of two scorers).

        Returns
        -------
        torch.Tensor
            Scalar loss.
        """
        probs = _is_probability_target(logits, y)
        log_p = F.log_softmax(_flat_logits(logits), dim=-1)
        weight = None if self.weight is None else self.weight.to(log_p.dtype)
        if probs:
            y = y.reshape(-1, log_p.shape[-1]).to(log_p.dtype)
            labelled = y.sum(dim=-1) > 0
        else:
            y = y.reshape(-1).long()
            labelled = y != self.ignore_index
        if not labelled.any():  # a batch of unscored epochs: nothing to learn here
            return log_p.sum() * 0.0
        if not probs:
            return F.nll_loss(log_p, y, weight=weight, ignore_index=self.ignore_index)
        y, log_p = y[labelled], log_p[labelled]
        if weight is None:
            return -(y * log_p).sum(dim=-1).mean()
        wy = y * weight
        return -(wy * log_p).sum() / wy.sum()

    def extra_repr(self):
        return f"weight={self.weight is not None}, ignore_index={self.ignore_index}"
