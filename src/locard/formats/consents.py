"""Consent side files: which consent record each specimen of an import was taken under.

A consent side file (``locard import FILE --consent-file CONSENTS``) is a CSV (or tab- or
semicolon-separated) file with a header row naming a specimen column (``specimen_id``,
``specimenId``, ``sample``...) and a consent column (``consent``, ``consent_ref``,
``consentId``), one row per specimen. It holds consent *references* only, never the consent
form or a name: the reference is what ``locard consent withdraw`` names.
"""

from __future__ import annotations

from locard.errors import FileFormatError
from locard.formats._io import (
    DEFAULT_LIMITS,
    Limits,
    Source,
    norm_header,
    open_text,
    read_rows,
    source_label,
)

__all__ = ["read_consent_file"]

_SPECIMEN = ("specimenid", "specimen", "sampleid", "samplename", "sample", "id")
_CONSENT = ("consent", "consentref", "consentid", "consentreference")


def read_consent_file(source: Source, *, limits: Limits = DEFAULT_LIMITS) -> dict[str, str]:
    """``{specimen ID: consent reference}`` from a consent side file. Raises
    :class:`FileFormatError` naming the line for a missing column, an empty cell or a
    specimen given twice with different references."""
    label = source_label(source)
    with open_text(source, limits) as stream:
        header, _, rows = read_rows(stream, label)
        norms = [norm_header(h) for h in header]
        spec = next((norms.index(c) for c in _SPECIMEN if c in norms), None)
        cons = next((norms.index(c) for c in _CONSENT if c in norms), None)
        if spec is None or cons is None:
            raise FileFormatError(
                "not a consent file: the header needs a specimen column and a consent column",
                path=label, line=1, remedy="a header such as 'specimen_id,consent'")
        out: dict[str, str] = {}
        for line, cells in rows:
            sid = cells[spec].strip() if spec < len(cells) else ""
            ref = cells[cons].strip() if cons < len(cells) else ""
            if not sid or not ref:
                raise FileFormatError("a row needs both a specimen ID and a consent reference",
                                      path=label, line=line, record=sid or None)
            if out.get(sid, ref) != ref:
                raise FileFormatError(f"specimen given twice with different consents "
                                      f"({out[sid]!r}, {ref!r})", path=label, line=line,
                                      record=sid)
            out[sid] = ref
    return out
