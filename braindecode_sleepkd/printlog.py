"""The per-epoch table: skorch's ``PrintLog``, coloured only on a terminal.

skorch highlights the best value of each column with ANSI colour codes. Written
to a file or a pipe (``sleepkd demo > log.txt``, a notebook, CI logs), those
codes are noise, so they are kept only when the table goes to a terminal and the
``NO_COLOR`` environment variable (https://no-color.org) is unset or empty.
"""

import os
import re
import sys

from skorch.callbacks import PrintLog as _SkorchPrintLog

__all__ = ["PrintLog"]

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def use_color(stream=None):
    """Whether ANSI colour may be written to ``stream``.

    Parameters
    ----------
    stream : file-like | None, default=None
        The stream written to; ``None`` means the current ``sys.stdout``.

    Returns
    -------
    bool
        True only if ``NO_COLOR`` is unset or empty and ``stream.isatty()``.
    """
    if os.environ.get("NO_COLOR"):
        return False
    stream = sys.stdout if stream is None else stream
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or closed
        return False


def strip_ansi(text):
    """Return ``text`` without its ANSI colour codes (escape sequences)."""
    return _ANSI.sub("", text)


class PrintLog(_SkorchPrintLog):
    """skorch's :class:`~skorch.callbacks.PrintLog`, plain text off a terminal.

    The best value of each column is coloured only when ``sink`` is ``print``
    and ``sys.stdout`` is a terminal (see :func:`use_color`); any other sink
    (a logger, a file's ``write``) gets plain text. Parameters are skorch's.
    """

    def format_row(self, row, key, color):
        """Format one cell; colour only where :func:`use_color` allows it."""
        cell = super().format_row(row, key, color)
        if isinstance(cell, str) and not (self.sink is print and use_color()):
            return strip_ansi(cell)
        return cell
