"""Distillation losses: SleepKD terms and the baselines' losses.

Every loss is a small :class:`torch.nn.Module` whose ``forward`` returns a scalar.
Logits are ``(batch, seq_len, n_classes)``, epoch features ``(batch, seq_len, d)``
or ``(batch, seq_len, d, n_steps)`` and sequence features ``(batch, seq_len, d)``.
Class probabilities are always computed with ``log_softmax`` so that the losses
stay finite for extreme logits (e.g. ``+-1e4``).

Losses that compare a student with a *teacher's logits or feature maps*
(:class:`SoftKLLoss`, :class:`DKDLoss`, :class:`NSTLoss`) detach the teacher
tensor: it is a constant target and never receives gradients. The feature
regression losses (:class:`FeatureMSELoss`, :class:`FitNetsHintLoss`) do **not**
detach either argument, because one of them is usually the output of a learnable
:class:`~braindecode_sleepkd.distill.alignment.FeatureAlignment` that must be
trained; run the frozen model's forward under :func:`torch.no_grad` instead.
"""

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "LOSS_REGISTRY",
    "register_loss",
    "HardCELoss",
    "SoftKLLoss",
    "FeatureMSELoss",
    "FitNetsHintLoss",
    "NSTLoss",
    "DKDLoss",
]

LOSS_REGISTRY: dict[str, type[nn.Module]] = {}


def register_loss(cls=None, *, key=None):
    """Register a loss class in :data:`LOSS_REGISTRY` (torchdistill style).

    Usable bare (``@register_loss``, the key is the class name) or with a key
    (``@register_loss(key="my_loss")``).

    Parameters
    ----------
    cls : type or None
        The class to register (given when used as a bare decorator).
    key : str or None, default=None
        Registry key; the class name when None.

    Returns
    -------
    type or callable
        The class itself, unchanged, or a decorator when ``cls`` is None.

    Raises
    ------
    ValueError
        If the key is already registered to another class.
    """

    def _register(klass):
        name = klass.__name__ if key is None else key
        if name in LOSS_REGISTRY and LOSS_REGISTRY[name] is not klass:
            raise ValueError(f"A loss is already registered under {name!r}.")
        LOSS_REGISTRY[name] = klass
        return klass

    if cls is None:
        return _register
    return _register(cls)


def _flat_logits(logits, name="logits"):
    """Reshape ``(..., n_classes)`` logits to ``(n_epochs, n_classes)``."""
    if logits.ndim < 2:
        raise ValueError(
            f"{name} must have shape (batch, seq_len, n_classes), got "
            f"{tuple(logits.shape)}."
        )
    return logits.reshape(-1, logits.shape[-1])


def _check_same_shape(student, teacher, what):
    if student.shape != teacher.shape:
        raise ValueError(
            f"Student and teacher {what} must have the same shape, got "
            f"{tuple(student.shape)} and {tuple(teacher.shape)}."
        )


def _is_probability_target(logits, y):
    """Tell probability targets from integer labels, or raise on a bad shape."""
    if y.is_floating_point() and y.shape == logits.shape:
        return True
    if not y.is_floating_point() and y.shape == logits.shape[:-1]:
        return False
    raise ValueError(
        "Targets must be integer labels of shape (batch, seq_len) or float "
        "class probabilities of the logits' shape (batch, seq_len, n_classes); "
        f"got dtype {y.dtype} and shape {tuple(y.shape)} for logits of shape "
        f"{tuple(logits.shape)}."
    )


def _hard_labels(logits, y):
    """Integer labels ``(n_epochs,)``; probability targets go through argmax."""
    if _is_probability_target(logits, y):
        y = y.argmax(dim=-1)
    return y.reshape(-1).long()


def _kl_from_log_probs(log_p_teacher, log_p_student):
    """Per-row ``KL(p_teacher || p_student)``, summed over the last axis."""
    return (log_p_teacher.exp() * (log_p_teacher - log_p_student)).sum(dim=-1)


def _check_temperature(temperature):
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}.")


@register_loss
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
    ignore_index : int, default=-100
        Integer label to skip (padding epochs); only for integer labels. The
        loss is NaN if every epoch is ignored.

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

    def __init__(self, weight=None, ignore_index=-100):
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
        if not probs:
            return F.nll_loss(
                log_p,
                y.reshape(-1).long(),
                weight=weight,
                ignore_index=self.ignore_index,
            )
        y = y.reshape(-1, log_p.shape[-1]).to(log_p.dtype)
        if weight is None:
            return -(y * log_p).sum(dim=-1).mean()
        wy = y * weight
        return -(wy * log_p).sum() / wy.sum()

    def extra_repr(self):
        return f"weight={self.weight is not None}, ignore_index={self.ignore_index}"


@register_loss
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


@register_loss
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


@register_loss
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


@register_loss
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


@register_loss
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
