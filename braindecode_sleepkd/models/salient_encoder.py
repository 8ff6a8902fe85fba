"""Fully convolutional multi-scale epoch encoder (U-Sleep / SalientSleepNet spirit)."""

import torch
from torch import nn

from .deepsleepnet_encoder import samples


class SalientEncoder(nn.Module):
    """Fully convolutional encoder read out at several time scales.

    A strided stem convolution (``stem_kernel_s`` long, stride ``stem_stride_s``,
    so the first layer at full resolution is cheap) is followed by one block
    ``conv -> BN -> ReLU -> max-pool`` per entry of ``channels[1:]``: each block
    halves (``pool``) the time resolution, as in U-Sleep's encoder. The outputs of
    the last ``n_scales`` blocks are averaged over time and concatenated (a
    multi-scale readout in the spirit of SalientSleepNet), so
    ``out_features = sum(channels[-n_scales:])`` for any ``n_times``. There is no
    dropout inside (put it on the features).

    Parameters
    ----------
    n_chans : int, default=1
        Input channels.
    sfreq : float, default=100
        Sampling frequency in Hz.
    channels : sequence of int, default=(16, 32, 64, 96)
        Width of the stem and of each following block; ``len(channels)`` is the
        number of convolution layers.
    kernel_size : int, default=7
        Kernel size of the block convolutions (odd).
    stem_kernel_s : float, default=0.25
        Stem filter length in seconds.
    stem_stride_s : float, default=0.04
        Stem stride in seconds (4 samples at 100 Hz).
    pool : int, default=2
        Max-pool size after each block.
    n_scales : int, default=2
        Number of last blocks (time scales) in the readout.
    """

    def __init__(
        self,
        n_chans=1,
        sfreq=100,
        channels=(16, 32, 64, 96),
        kernel_size=7,
        stem_kernel_s=0.25,
        stem_stride_s=0.04,
        pool=2,
        n_scales=2,
    ):
        super().__init__()
        channels = tuple(int(c) for c in channels)
        if len(channels) < 1:
            raise ValueError("channels must hold at least one width.")
        n_scales = max(1, min(n_scales, len(channels)))
        self.n_chans = n_chans
        self.sfreq = sfreq
        self.channels = channels
        self.n_scales = n_scales
        self.out_features = sum(channels[-n_scales:])
        k0 = samples(stem_kernel_s, sfreq, odd=True)
        self.stem = nn.Sequential(
            nn.Conv1d(
                n_chans,
                channels[0],
                k0,
                stride=samples(stem_stride_s, sfreq),
                padding=k0 // 2,
                bias=False,
            ),
            nn.BatchNorm1d(channels[0]),
            nn.ReLU(inplace=True),
        )
        self.blocks = nn.ModuleList(
            nn.Sequential(
                nn.MaxPool1d(pool, ceil_mode=True),
                nn.Conv1d(
                    c_in, c_out, kernel_size, padding=kernel_size // 2, bias=False
                ),
                nn.BatchNorm1d(c_out),
                nn.ReLU(inplace=True),
            )
            for c_in, c_out in zip(channels[:-1], channels[1:], strict=True)
        )

    def forward(self, x):
        """Map ``(n, n_chans, n_times)`` to ``(n, out_features)``."""
        h = self.stem(x)
        outs = [h]
        for block in self.blocks:
            h = block(h)
            outs.append(h)
        return torch.cat([o.mean(dim=-1) for o in outs[-self.n_scales :]], dim=1)
