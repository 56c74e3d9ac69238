"""The PDF report of a confirmed match (reportlab): who and what, the statistics with every
per-locus value, the frequency table's name and SHA-256, the Locard version and the provenance
record, so that the figure can be reproduced from the report alone."""

from __future__ import annotations

import io
import json
import math
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from locard._version import __version__
from locard.service.ops import MatchDetail

__all__ = ["match_report_pdf"]

_STATUS_COLOR = {"match": colors.HexColor("#dcefdc"), "partial": colors.HexColor("#fff2c6"),
                 "shared": colors.HexColor("#fde2c8"), "mismatch": colors.HexColor("#f6d0d0")}


def _sci(x: float | None) -> str:
    if x is None:
        return "-"
    if not math.isfinite(x):
        return "infinite"
    return f"{x:.3g}"


def _statistic_line(st: dict[str, Any]) -> str:
    """The match statistic as the report states it, over the compared loci only."""
    n = len(st["loci"])
    if st["statistic"] == "CPI":
        return (f"Combined probability of inclusion (CPI) of the candidate mixture over the {n} "
                f"compared loci: <b>{_sci(st['rmp'])}</b> (1 in {_sci(st['one_in'])}).")
    return (f"Random match probability (RMP) over the {n} compared loci: "
            f"<b>{_sci(st['rmp'])}</b> (1 in {_sci(st['one_in'])}); likelihood ratio "
            f"LR = 1/RMP = <b>{_sci(st['lr'])}</b>.")


def _decision_history(detail: MatchDetail, heading: ParagraphStyle,
                      small: ParagraphStyle) -> list[Any]:
    """The decisions on the match, oldest first; a correction names the decision it
    supersedes (decisions are never edited, so the first one is shown as it was made)."""
    rows: list[list[Any]] = [["Decision", "Status", "Reviewer", "Date (UTC)", "Note",
                              "Supersedes"]]
    for d in detail.decisions:
        rows.append([f"#{d.id}", d.status, d.reviewer or "-",
                     d.decided_at[:19].replace("T", " "), Paragraph(escape(d.note), small),
                     f"#{d.supersedes}" if d.supersedes is not None else "-"])
    if len(rows) == 1:
        return [Paragraph("Decision history", heading),
                Paragraph("No decision recorded.", small), Spacer(1, 4 * mm)]
    t = Table(rows, colWidths=[18 * mm, 20 * mm, 25 * mm, 32 * mm, 59 * mm, 20 * mm],
              repeatRows=1)
    t.setStyle(TableStyle([("FONTSIZE", (0, 0), (-1, -1), 8), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                           ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
                           ("GRID", (0, 0), (-1, -1), 0.25, colors.grey)]))
    return [Paragraph("Decision history", heading), t, Spacer(1, 4 * mm)]


def match_report_pdf(detail: MatchDetail, *, reviewer: str) -> bytes:
    """The report as PDF bytes."""
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                            topMargin=16 * mm, bottomMargin=16 * mm,
                            title=f"Locard match report {detail.match.id}",
                            author="Locard", subject="Confirmed DNA match")
    ss = getSampleStyleSheet()
    small = ParagraphStyle("small", parent=ss["Normal"], fontSize=8, leading=10)
    mono = ParagraphStyle("mono", parent=small, fontName="Courier", fontSize=7, leading=8.5)
    m, q, c, st = detail.match, detail.query, detail.candidate, detail.stats
    story: list[Any] = [
        Paragraph(f"Locard match report - candidate match {m.id}", ss["Title"]),
        Paragraph(f"Status: <b>{escape(m.status)}</b> by {escape(m.reviewer or reviewer)}; "
                  f"note: {escape(m.note or '-')}", ss["Normal"]),
        Spacer(1, 4 * mm),
    ]
    head = [["", "Query", "Candidate"],
            ["Lab", q.lab, c.lab], ["Specimen ID", q.specimen_id, c.specimen_id],
            ["Index", q.index, c.index], ["Category", q.category or "-", c.category or "-"],
            ["Legal basis", q.legal_basis or "-", c.legal_basis or "-"],
            ["Kit", q.kit or "-", c.kit or "-"]]
    t = Table(head, colWidths=[35 * mm, 65 * mm, 65 * mm])
    t.setStyle(TableStyle([("FONTSIZE", (0, 0), (-1, -1), 9),
                           ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
                           ("GRID", (0, 0), (-1, -1), 0.25, colors.grey)]))
    story += [t, Spacer(1, 3 * mm),
              Paragraph(f"Search: mode {escape(m.mode)}, stringency {escape(m.stringency)}, "
                        f"{m.compared_loci} loci compared, {m.mismatches} mismatching.",
                        ss["Normal"]), Spacer(1, 3 * mm)]
    if st is not None:
        story += [
            Paragraph("Statistics", ss["Heading2"]),
            Paragraph(_statistic_line(st), ss["Normal"]),
            Paragraph((f"Formula: {escape(str(st['formula']))} (Balding-Nichols, NRC II 1996 "
                       f"eq. 4.10), theta = {st['theta']}"
                       if st["statistic"] == "RMP" else "Formula: CPI (no theta correction)")
                      + "; the most conservative of: "
                      + ", ".join(f"{escape(k)} {_sci(v)}" for k, v in
                                  st["populations"].items()) + ".", small),
            Paragraph(f"Frequency table: <b>{escape(st['table']['name'])}</b>, SHA-256 "
                      f"{escape(str(st['table']['sha256']))}", small),
        ]
        if st["excluded"]:
            story.append(Paragraph("Loci without a genotype probability: " + "; ".join(
                f"{escape(k)} ({escape(v)})" for k, v in st["excluded"].items()), small))
    story += [Spacer(1, 3 * mm), Paragraph("Per-locus comparison", ss["Heading2"])]
    rows: list[list[str]] = [["Locus", "Query", "Candidate", "Comparison", "Probability"]]
    styles: list[Any] = [("FONTSIZE", (0, 0), (-1, -1), 8),
                         ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
                         ("GRID", (0, 0), (-1, -1), 0.25, colors.grey)]
    per = st["per_locus"] if st else {}
    for i, row in enumerate(detail.loci, start=1):
        p = per.get(row["locus"])
        rows.append([row["locus"], row["query_text"] or "-", row["candidate_text"] or "-",
                     row["status"], _sci(p) if p is not None else "-"])
        color = _STATUS_COLOR.get(row["status"])
        if color is not None:
            styles.append(("BACKGROUND", (3, i), (3, i), color))
    if st:
        rows.append(["Product", "", "", "", _sci(st["rmp"])])
    lt = Table(rows, colWidths=[30 * mm, 38 * mm, 38 * mm, 28 * mm, 30 * mm], repeatRows=1)
    lt.setStyle(TableStyle(styles))
    story += [lt, Spacer(1, 4 * mm), *_decision_history(detail, ss["Heading2"], small),
              Paragraph("Provenance", ss["Heading2"]),
              Paragraph(f"Locard version {escape(__version__)}; report generated "
                        f"{datetime.now(UTC).isoformat(timespec='seconds')} for "
                        f"{escape(reviewer)}.", small)]
    if st:
        text = json.dumps(st["provenance"], sort_keys=True, indent=1, default=str)
        for line in text.splitlines():
            story.append(Paragraph(escape(line).replace(" ", "&nbsp;"), mono))
    doc.build(story)
    return buf.getvalue()
