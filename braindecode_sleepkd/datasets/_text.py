"""Reading the one-value-per-line text files of DREAMS and ISRUC, strictly."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

from pathlib import Path


def read_lines(fname, what):
    """Lines of a text file; a binary (non-UTF-8) file raises ``ValueError``."""
    fname = Path(fname)
    try:
        return fname.read_text().splitlines()
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{fname}: not a text {what} file ({exc.reason} at byte {exc.start}); "
            "expected one value per line."
        ) from exc


def value_lines(fname, lines, first_lineno, what):
    """``(line number, text)`` of every value line.

    Trailing blank lines are ignored; a blank line between values raises
    (skipping it would shift every later epoch), and so does a file with
    no value at all.
    """
    numbered = [(i, line.strip()) for i, line in enumerate(lines, first_lineno)]
    while numbered and not numbered[-1][1]:
        numbered.pop()
    if not numbered:
        raise ValueError(f"{fname}: no {what} in the file (empty recording).")
    blank = [i for i, text in numbered if not text]
    if blank:
        shown = ", ".join(map(str, blank[:10])) + (" ..." if len(blank) > 10 else "")
        raise ValueError(
            f"{fname}: {len(blank)} blank lines between {what} (lines {shown}); "
            "expected one value per line (only trailing blank lines are allowed)."
        )
    return numbered


def read_codes(fname, numbered, valid, what):
    """The integer codes of ``(line number, text)`` value lines, all in ``valid``.

    Raises
    ------
    ValueError
        Listing every value that is not an integer of ``valid``, with its line
        number.
    """
    codes, bad = [], []
    for lineno, text in numbered:
        try:
            code = int(text)
        except ValueError:
            code = None
        if code in valid:
            codes.append(code)
        else:
            bad.append(f"line {lineno}: {text!r}")
    if bad:
        raise ValueError(
            f"{fname}: unknown {what} (expected one of {sorted(valid)}): "
            + "; ".join(bad)
        )
    return codes
