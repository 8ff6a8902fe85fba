"""Training-time augmentation of sequence batches (time shift, amplitude scaling)."""

import torch


class ShiftScale:
    """Random circular time shift and amplitude scaling of each sequence.

    Used as ``SleepKDClassifier(augmentation=...)``; the estimator then runs
    the guides live instead of caching their outputs.

    Parameters
    ----------
    max_shift_s : float
        Largest shift in seconds (both directions), same for all epochs of a
        sequence.
    scale_range : tuple of float
        Range of the multiplicative amplitude factor.
    sfreq : float
        Sampling frequency.
    seed : int
        Seed of the draws.
    """

    def __init__(self, max_shift_s=1.0, scale_range=(0.8, 1.2), sfreq=100.0, seed=0):
        self.max_shift_s = max_shift_s
        self.scale_range = scale_range
        self.sfreq = sfreq
        self.seed = seed
        self._gen = torch.Generator().manual_seed(int(seed))

    def __call__(self, x):
        """Augment ``x`` of shape ``(batch, seq_len, n_chans, n_times)``."""
        max_shift = int(round(self.max_shift_s * self.sfreq))
        lo, hi = self.scale_range
        out = torch.empty_like(x)
        for i in range(x.shape[0]):
            shift = int(
                torch.randint(-max_shift, max_shift + 1, (1,), generator=self._gen)
            )
            scale = lo + (hi - lo) * float(torch.rand(1, generator=self._gen))
            out[i] = torch.roll(x[i], shifts=shift, dims=-1) * scale
        return out

    def __repr__(self):
        return (
            f"ShiftScale(max_shift_s={self.max_shift_s}, "
            f"scale_range={self.scale_range}, seed={self.seed})"
        )
