"""DIST: distillation from a stronger teacher by correlation of probabilities."""

import torch.nn.functional as F
from torch import nn

from ._utils import _check_same_shape, _check_temperature, _flat_logits


def _pearson_distance(a, b, eps=1e-8):
    """``1 - Pearson correlation`` of the rows of ``a`` and ``b``, averaged."""
    a = a - a.mean(dim=-1, keepdim=True)
    b = b - b.mean(dim=-1, keepdim=True)
    corr = (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1) + eps)
    return (1.0 - corr).mean()


class DISTLoss(nn.Module):
    r"""Inter- and intra-class relation loss of DIST (Huang et al., 2022).

    With :math:`P^s, P^t` the ``(N, C)`` softmax probabilities at temperature
    :math:`T` of the :math:`N = \text{batch} \times \text{seq\_len}` epochs,

    .. math::

        L_{inter} = \frac{T^2}{N} \sum_{i} 1 - \rho(P^s_{i,:}, P^t_{i,:}),
        \qquad
        L_{intra} = \frac{T^2}{C} \sum_{c} 1 - \rho(P^s_{:,c}, P^t_{:,c}),

    where :math:`\rho` is the Pearson correlation. Matching correlations instead
    of the probabilities themselves (KL) relaxes the exact match that a much
    smaller student cannot reach [1]_. The teacher logits are detached.

    Parameters
    ----------
    temperature : float, default=1.0
        Softmax temperature :math:`T > 0`.

    Returns
    -------
    forward returns the tuple ``(inter, intra)`` of scalars.

    References
    ----------
    .. [1] Huang, T., You, S., Wang, F., Qian, C., Xu, C. (2022). Knowledge
       distillation from a stronger teacher. NeurIPS. Code:
       https://github.com/hunto/DIST_KD

    Examples
    --------
    >>> import torch
    >>> z = torch.randn(2, 3, 5)
    >>> [round(v.item(), 4) for v in DISTLoss()(z, z)]
    [0.0, 0.0]
    """

    def __init__(self, temperature=1.0):
        super().__init__()
        _check_temperature(temperature)
        self.temperature = temperature

    def forward(self, student_logits, teacher_logits):
        """The inter-class and intra-class terms, as a tuple of scalars."""
        _check_same_shape(student_logits, teacher_logits, "logits")
        t = self.temperature
        p_s = F.softmax(_flat_logits(student_logits) / t, dim=-1)
        p_t = F.softmax(_flat_logits(teacher_logits).detach() / t, dim=-1)
        inter = _pearson_distance(p_s, p_t) * t**2
        intra = _pearson_distance(p_s.T, p_t.T) * t**2
        return inter, intra

    def extra_repr(self):
        return f"temperature={self.temperature}"
