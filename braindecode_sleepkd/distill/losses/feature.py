"""Feature regression terms: SleepKD's feature MSE and FitNets' hint."""

import torch.nn.functional as F
from torch import nn


class FeatureMSELoss(nn.Module):
    r"""Mean squared error between feature tensors (:math:`L_{epoch}`, :math:`L_{seq}`).

    .. math::

        L = \frac{1}{N D} \sum_{i=1}^{N} \lVert g(f^s_i) - g(f^t_i) \rVert_2^2,

    where :math:`f_i \in \mathbb{R}^D` is the (flattened) feature of epoch
    :math:`i` (:math:`D = d` or :math:`d \times n\_steps`), :math:`N` the number
    of epochs, and :math:`g` is the identity, or the L2 normalisation
    :math:`g(f) = f / \max(\lVert f \rVert_2, \epsilon)` when ``normalize=True``
    (scale-invariant: only the direction of each epoch's feature is matched).
    With ``normalize=False`` this is :func:`torch.nn.functional.mse_loss`.

    In SleepKD [1]_ the epoch-level and sequence-level feature losses compare the
    aligned feature of the bigger model, :math:`\Phi(F_{big})`, with the smaller
    model's feature; shapes must already match (see
    :class:`~braindecode_sleepkd.distill.alignment.FeatureAlignment`). Neither
    argument is detached, so the alignment :math:`\Phi` receives gradients.

    Parameters
    ----------
    normalize : bool, default=False
        L2-normalise each epoch's feature (all axes after ``seq_len``, flattened)
        before the squared error.
    eps : float, default=1e-8
        Lower bound of the norm in the normalisation.

    References
    ----------
    .. [1] Liang, H., Liu, Y., Wang, H., Jia, Z. (2023). Teacher Assistant-Based
       Knowledge Distillation Extracting Multi-level Features on Single Channel
       Sleep EEG. IJCAI 2023. https://doi.org/10.24963/ijcai.2023/439

    Examples
    --------
    >>> import torch
    >>> FeatureMSELoss()(torch.ones(2, 3, 4), torch.zeros(2, 3, 4)).item()
    1.0
    """

    def __init__(self, normalize=False, eps=1e-8):
        super().__init__()
        self.normalize = normalize
        self.eps = eps

    def forward(self, student_feat, teacher_feat):
        """Compute the loss.

        Parameters
        ----------
        student_feat, teacher_feat : torch.Tensor
            Features of identical shape, ``(batch, seq_len, d)`` or
            ``(batch, seq_len, d, n_steps)``.

        Returns
        -------
        torch.Tensor
            Scalar loss.
        """
        if student_feat.shape != teacher_feat.shape:
            raise ValueError(
                "Feature shapes must match, got "
                f"{tuple(student_feat.shape)} and {tuple(teacher_feat.shape)}; "
                "align them first with FeatureAlignment."
            )
        if self.normalize:
            if student_feat.ndim < 3:
                raise ValueError(
                    "normalize=True needs features of shape (batch, seq_len, ...), "
                    f"got {tuple(student_feat.shape)}."
                )
            student_feat = F.normalize(student_feat.flatten(2), dim=-1, eps=self.eps)
            teacher_feat = F.normalize(teacher_feat.flatten(2), dim=-1, eps=self.eps)
        return F.mse_loss(student_feat, teacher_feat)

    def extra_repr(self):
        return f"normalize={self.normalize}"


class FitNetsHintLoss(FeatureMSELoss):
    r"""FitNets hint loss: MSE between the regressed student and the teacher feature.

    .. math::

        L_{hint} = \frac{1}{N D} \sum_{i=1}^{N}
        \lVert r(f^s_i) - f^t_i \rVert_2^2,

    where :math:`r` is a learnable regressor mapping the student's (guided)
    feature onto the teacher's (hint) feature shape [1]_. Use
    :class:`~braindecode_sleepkd.distill.alignment.FeatureAlignment` built with
    the student's shape as ``in_shape`` and the teacher's as ``out_shape`` (the
    opposite direction of SleepKD's :math:`\Phi`) and pass
    ``(regressor(student_feat), teacher_feat)``. Same parameters and semantics
    as :class:`FeatureMSELoss`.

    References
    ----------
    .. [1] Romero, A., Ballas, N., Kahou, S. E., Chassang, A., Gatta, C.,
       Bengio, Y. (2015). FitNets: Hints for Thin Deep Nets. ICLR 2015.
       arXiv:1412.6550.
    """
