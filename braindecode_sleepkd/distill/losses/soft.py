"""The soft term: KL divergence to a guide's softened probabilities."""

import torch.nn.functional as F
from torch import nn

from ._utils import (
    _check_same_shape,
    _check_temperature,
    _flat_logits,
    _kl_from_log_probs,
)


class SoftKLLoss(nn.Module):
    r"""Temperature-scaled KL divergence to the teacher (:math:`L_{soft}`, KD).

    .. math::

        L_{soft} = \frac{T^2}{N} \sum_{i=1}^{N} \sum_{c=1}^{C}
        p^t_{i,c} \left(\log p^t_{i,c} - \log p^s_{i,c}\right),
        \qquad p_{i} = \operatorname{softmax}(z_i / T),

    i.e. :math:`\mathrm{KL}(p^t \,\|\, p^s)` summed over classes and averaged over
    the :math:`N = \text{batch} \times \text{seq\_len}` epochs. The :math:`T^2`
    factor keeps the gradient magnitude independent of :math:`T` [1]_. The teacher
    logits are detached.

    Parameters
    ----------
    temperature : float, default=1.0
        Softmax temperature :math:`T > 0`.

    References
    ----------
    .. [1] Hinton, G., Vinyals, O., Dean, J. (2015). Distilling the Knowledge in
       a Neural Network. arXiv:1503.02531.
    .. [2] Liang, H., Liu, Y., Wang, H., Jia, Z. (2023). Teacher Assistant-Based
       Knowledge Distillation Extracting Multi-level Features on Single Channel
       Sleep EEG. IJCAI 2023. https://doi.org/10.24963/ijcai.2023/439

    Examples
    --------
    >>> import torch
    >>> z = torch.randn(2, 3, 5)
    >>> SoftKLLoss(temperature=4.0)(z, z).item()
    0.0
    """

    def __init__(self, temperature=1.0):
        super().__init__()
        _check_temperature(temperature)
        self.temperature = temperature

    def forward(self, student_logits, teacher_logits):
        """Compute the loss.

        Parameters
        ----------
        student_logits, teacher_logits : torch.Tensor
            ``(batch, seq_len, n_classes)`` class scores.

        Returns
        -------
        torch.Tensor
            Scalar loss.
        """
        _check_same_shape(student_logits, teacher_logits, "logits")
        t = self.temperature
        log_s = F.log_softmax(_flat_logits(student_logits) / t, dim=-1)
        log_t = F.log_softmax(_flat_logits(teacher_logits).detach() / t, dim=-1)
        return _kl_from_log_probs(log_t, log_s).mean() * t**2

    def extra_repr(self):
        return f"temperature={self.temperature}"
