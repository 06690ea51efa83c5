"""Text from outside (decoded QR fields, file names) made safe to print on an operator's terminal.

A capture code is data anyone can print onto a QR: an ESC sequence in a name field could recolour,
clear or retitle the terminal, a BEL rings it, a bidi override reverses what follows. Printed as
visible escapes, the operator sees that the field holds them.
"""

from __future__ import annotations


def terminal_safe(text: str) -> str:
    """`text` with every character Python does not call printable (controls, format characters
    such as bidi overrides, surrogates, unassigned) written as an escape (\\x1b, \\u202e);
    printable text, Chinese included, is unchanged."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable():
            out.append(ch)
        elif ord(ch) <= 0xFF:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return "".join(out)
