"""Per-epoch classification head."""

from torch import nn


class EpochClassifier(nn.Module):
    """Dropout on the sequence features, then a linear layer per epoch.

    Parameters
    ----------
    in_features : int
        Size ``d_seq`` of the sequence features.
    n_classes : int, default=5
        Number of sleep stages.
    dropout : float, default=0.0
        Dropout on the sequence features (train mode only).
    """

    def __init__(self, in_features, n_classes=5, dropout=0.0):
        super().__init__()
        self.in_features = in_features
        self.n_classes = n_classes
        self.drop = nn.Dropout(dropout)
        self.linear = nn.Linear(in_features, n_classes)

    def forward(self, x):
        """Map ``(batch, seq_len, in_features)`` to ``(batch, seq_len, n_classes)``."""
        return self.linear(self.drop(x))
