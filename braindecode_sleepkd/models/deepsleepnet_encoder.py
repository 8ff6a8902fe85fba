"""DeepSleepNet-like two-branch CNN epoch encoder (Supratak et al., 2017)."""

import torch
from torch import nn


def samples(seconds, sfreq, odd=False):
    """Return ``max(1, round(seconds * sfreq))``, made odd when ``odd``."""
    n = max(1, round(seconds * sfreq))
    if odd and n % 2 == 0:
        n += 1
    return n


def _conv_bn_relu(c_in, c_out, kernel_size, stride=1):
    # Conv -> BN -> ReLU with no dropout in between: dropout before BN makes the
    # eval-mode statistics disagree with the training ones (measured collapse).
    return [
        nn.Conv1d(
            c_in,
            c_out,
            kernel_size,
            stride=stride,
            padding=kernel_size // 2,
            bias=False,
        ),
        nn.BatchNorm1d(c_out),
        nn.ReLU(inplace=True),
    ]


def _branch(
    n_chans, n_filters_1, n_filters_2, kernel, stride, pools, deep_kernel, n_deep, down
):
    layers = [nn.AvgPool1d(down, ceil_mode=True)] if down > 1 else []
    layers += _conv_bn_relu(n_chans, n_filters_1, kernel, stride)
    layers.append(nn.MaxPool1d(pools[0], ceil_mode=True))
    c_in = n_filters_1
    for _ in range(n_deep):
        layers += _conv_bn_relu(c_in, n_filters_2, deep_kernel)
        c_in = n_filters_2
    layers += [nn.MaxPool1d(pools[1], ceil_mode=True), nn.AdaptiveAvgPool1d(1)]
    layers.append(nn.Flatten(1))
    return nn.Sequential(*layers)


class DeepSleepNetEncoder(nn.Module):
    """Two-branch CNN: small filters (fine time) and large filters (frequency).

    As in DeepSleepNet, the small branch starts with a filter of ``sfreq / 2``
    samples and stride ``sfreq / 16``, the large branch with ``4 * sfreq``
    samples and stride ``sfreq / 2``; each continues with ``n_deep`` convolutions
    of ``n_filters_2`` channels. Kernel sizes and strides are given in seconds so
    the encoder works at any sampling rate and any ``n_times``; each branch ends
    in a global average over time, so ``out_features = 2 * n_filters_2`` does not
    depend on ``n_times``. There is no dropout inside (put it on the features).

    Parameters
    ----------
    n_chans : int, default=1
        Input channels (all go into the first convolution).
    sfreq : float, default=100
        Sampling frequency in Hz.
    n_filters_1 : int, default=32
        Channels of the first (full-resolution) convolution of each branch.
    n_filters_2 : int, default=64
        Channels of the deeper convolutions of each branch.
    n_deep : int, default=3
        Deeper convolutions per branch.
    small_kernel_s, small_stride_s : float, default=0.5, 1/16
        First filter length and stride of the small branch, in seconds.
    large_kernel_s, large_stride_s : float, default=4.0, 0.5
        First filter length and stride of the large branch, in seconds.
    small_pools, large_pools : tuple of int, default=(8, 4), (4, 2)
        Max-pool sizes after the first convolution and after the deep ones.
    small_deep_kernel, large_deep_kernel : int, default=8, 6
        Kernel sizes of the deeper convolutions (in pooled steps).
    small_downsample, large_downsample : int, default=1
        Average-pool the input of a branch by this factor first (its filter
        lengths and strides, in seconds, are then counted at
        ``sfreq / downsample``). A cheap first layer for small students: e.g. 4
        runs the large branch at 25 Hz for 100-Hz input.
    """

    def __init__(
        self,
        n_chans=1,
        sfreq=100,
        n_filters_1=32,
        n_filters_2=64,
        n_deep=3,
        small_kernel_s=0.5,
        small_stride_s=1 / 16,
        large_kernel_s=4.0,
        large_stride_s=0.5,
        small_pools=(8, 4),
        large_pools=(4, 2),
        small_deep_kernel=8,
        large_deep_kernel=6,
        small_downsample=1,
        large_downsample=1,
    ):
        super().__init__()
        self.n_chans = n_chans
        self.sfreq = sfreq
        self.out_features = 2 * n_filters_2

        def branch(kernel_s, stride_s, pools, deep_kernel, downsample):
            rate = sfreq / downsample  # the branch's own rate after the avg-pool
            return _branch(
                n_chans,
                n_filters_1,
                n_filters_2,
                samples(kernel_s, rate),
                samples(stride_s, rate),
                pools,
                deep_kernel,
                n_deep,
                downsample,
            )

        self.small = branch(
            small_kernel_s, small_stride_s, small_pools, small_deep_kernel,
            small_downsample,
        )  # fmt: skip
        self.large = branch(
            large_kernel_s, large_stride_s, large_pools, large_deep_kernel,
            large_downsample,
        )  # fmt: skip

    def forward(self, x):
        """Map ``(n, n_chans, n_times)`` to ``(n, 2 * n_filters_2)``."""
        return torch.cat([self.small(x), self.large(x)], dim=1)
