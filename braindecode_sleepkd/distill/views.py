"""Consistent views: one random view of each training batch, for learner and guides.

Function matching (Beyer et al., 2022) asks that the teacher sees exactly the
input the student sees, that views be varied aggressively (mixup), and that the
teacher's outputs are not precomputed. A :class:`ConsistentViews` policy is
applied by the :class:`~.stage.DistillationStage` to each training batch
*before* the learner and the live guides see it; the targets follow the view
(mixup makes them class probabilities).
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import torch
from braindecode.augmentation.functional import mixup

from ..constants import N_STAGES, UNLABELLED

__all__ = ["ConsistentViews"]


class ConsistentViews:
    """Random time shift, amplitude scaling and mixup of whole sequences.

    Each sequence of the batch is shifted in time across its epoch boundaries
    (the signal of the whole sequence rolls, so an epoch may start up to
    ``max_shift`` of an epoch earlier or later), scaled by a random factor, then
    mixed with another sequence of the batch (braindecode's
    :func:`~braindecode.augmentation.functional.mixup` with a mixing weight drawn
    from ``Beta(mixup_alpha, mixup_alpha)``; the targets become the mixed one-hot
    labels, and an epoch mixed with an unscored one is unscored). Any
    ``transforms`` (braindecode :class:`~braindecode.augmentation.Transform`
    objects, e.g. ``FTSurrogate`` or ``GaussianNoise``) are then applied to every
    epoch as a batch of ``(n_chans, n_times)`` windows.

    Parameters
    ----------
    max_shift : float, default=0.1
        Largest time shift, as a fraction of an epoch (0.1: 3 s of 30).
    scale : tuple of float, default=(0.8, 1.25)
        Range of the amplitude factor (one per sequence).
    mixup_alpha : float, default=0.4
        Beta parameter of the mixing weight; 0 turns mixup off.
    transforms : sequence of callable, default=()
        braindecode transforms applied per epoch after the above.
    n_classes : int, default=5
        Number of classes of integer labels (for the mixed targets).
    seed : int, default=0
        Seed of the shift, scale and mixup draws.

    References
    ----------
    Beyer, Zhai, Royer, Markeeva, Anil & Kolesnikov (2022). Knowledge
    distillation: a good teacher is patient and consistent. CVPR.
    """

    def __init__(
        self,
        max_shift=0.1,
        scale=(0.8, 1.25),
        mixup_alpha=0.4,
        transforms=(),
        n_classes=N_STAGES,
        seed=0,
    ):
        if not 0 <= max_shift < 1:
            raise ValueError(
                f"max_shift must be in [0, 1) of an epoch, got {max_shift}."
            )
        lo, hi = scale
        if not 0 < lo <= hi:
            raise ValueError(
                f"scale must be (low, high) with 0 < low <= high, got {scale}."
            )
        if mixup_alpha < 0:
            raise ValueError(f"mixup_alpha must be >= 0, got {mixup_alpha}.")
        self.max_shift, self.scale, self.mixup_alpha = max_shift, scale, mixup_alpha
        self.transforms, self.seed = tuple(transforms), seed
        self.n_classes = n_classes
        self.generator = torch.Generator().manual_seed(int(seed))

    def generators(self):
        """The policy's random generators, by name (saved with checkpoints)."""
        return {"views": self.generator}

    def __call__(self, x, y):
        """A view of the batch.

        Parameters
        ----------
        x : torch.Tensor
            ``(batch, seq_len, n_chans, n_times)``.
        y : torch.Tensor
            Labels ``(batch, seq_len)`` (-1: unscored) or probabilities
            ``(batch, seq_len, n_classes)``.

        Returns
        -------
        x, y : torch.Tensor
            The view and its targets: labels unchanged without mixup, class
            probabilities ``(batch, seq_len, n_classes)`` with it.
        """
        b, s, c, n = x.shape
        g = self.generator
        flat = x.transpose(1, 2).reshape(b, c, s * n)  # one signal per sequence
        max_shift = int(round(self.max_shift * n))
        if max_shift:
            shifts = torch.randint(-max_shift, max_shift + 1, (b,), generator=g)
            flat = torch.stack(
                [torch.roll(f, int(k), -1) for f, k in zip(flat, shifts)]
            )
        lo, hi = self.scale
        factor = lo + (hi - lo) * torch.rand(b, 1, 1, generator=g)
        flat = flat * factor.to(flat.device, flat.dtype)
        if self.mixup_alpha > 0 and b > 1:
            lam = _beta(self.mixup_alpha, g)
            lam = torch.full((b,), float(lam), dtype=flat.dtype, device=flat.device)
            perm = torch.randperm(b, generator=g).to(flat.device)
            flat, _ = mixup(flat, torch.zeros(b, device=flat.device), lam, perm)
            y = _mixed_targets(y, lam, perm, self.n_classes)
        x = flat.reshape(b, c, s, n).transpose(1, 2).contiguous()
        if self.transforms:
            epochs = x.reshape(b * s, c, n)
            for transform in self.transforms:
                epochs = transform(epochs)
            x = epochs.reshape(b, s, c, n)
        return x, y

    def __repr__(self):
        return (
            f"ConsistentViews(max_shift={self.max_shift}, scale={self.scale}, "
            f"mixup_alpha={self.mixup_alpha}, transforms={list(self.transforms)}, "
            f"seed={self.seed})"
        )


def _beta(alpha, generator):
    """A draw of ``Beta(alpha, alpha)`` from ``generator`` (two Gamma draws)."""
    u = torch._standard_gamma(torch.full((2,), float(alpha)), generator=generator)
    return u[0] / u.sum()


def _mixed_targets(y, lam, perm, n_classes):
    """``lam * y + (1 - lam) * y[perm]`` as probabilities; unscored stays unscored."""
    if y.ndim == 3:
        probs = y.float()
    else:
        k = n_classes
        labelled = y != UNLABELLED
        probs = torch.zeros(*y.shape, k, device=y.device)
        probs[labelled] = torch.nn.functional.one_hot(y[labelled].long(), k).float()
    lam = lam.to(probs.device)[:, None, None]
    mixed = lam * probs + (1 - lam) * probs[perm]
    scored = (probs.sum(-1) > 0) & (probs[perm].sum(-1) > 0)
    return mixed * scored[..., None]
