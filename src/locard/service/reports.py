"""The PDF report of a confirmed match (reportlab): who and what, the statistics with every
per-locus value, the frequency table's name and SHA-256, the Locard version and the provenance
record, so that the figure can be reproduced from the report alone."""

from __future__ import annotations

import io
import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from locard._version import __version__
from locard.display import format_number
from locard.service.explain import explanation
from locard.store.matches import MatchDetail

if TYPE_CHECKING:
    from locard.service.mixtures import MixtureAnalysis

__all__ = ["match_report_pdf", "mixture_report_pdf"]

_STATUS_COLOR = {"match": colors.HexColor("#dcefdc"), "partial": colors.HexColor("#fff2c6"),
                 "shared": colors.HexColor("#fde2c8"), "mismatch": colors.HexColor("#f6d0d0")}


#: the statistics of the report, as the CLI and the web page show them
_sci = format_number


def _statistic_line(st: dict[str, Any]) -> str:
    """The match statistic as the report states it, over the compared loci only."""
    n = len(st["loci"])
    if st["statistic"] == "CPI":
        return (f"Combined probability of inclusion (CPI) of the candidate mixture over the {n} "
                f"compared loci: <b>{_sci(st['rmp'])}</b> (1 in {_sci(st['one_in'])}).")
    return (f"Random match probability (RMP) over the {n} compared loci: "
            f"<b>{_sci(st['rmp'])}</b> (1 in {_sci(st['one_in'])}); likelihood ratio "
            f"LR = 1/RMP = <b>{_sci(st['lr'])}</b>.")


class _NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab ships no types
    """A canvas that holds each page until the document ends, then stamps "Page N of M" and
    the match number in the footer of every page (the total is known only at the end)."""

    def __init__(self, *args: Any, footer: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held: list[dict[str, Any]] = []
        self._footer = footer

    def showPage(self) -> None:  # reportlab's name
        self._held.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._held)
        for number, state in enumerate(self._held, start=1):
            self.__dict__.update(state)
            self.setFont("Helvetica", 8)
            self.setFillColor(colors.grey)
            width = float(self._pagesize[0])
            self.drawString(18 * mm, 9 * mm, self._footer)
            self.drawRightString(width - 18 * mm, 9 * mm, f"Page {number} of {total}")
            super().showPage()
        super().save()


def _scalar(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return _sci(v) if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e6) else repr(v)
    return str(v)


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """A provenance record as ``(key, value)`` rows: nested objects become dotted keys
    (``table.sha256``), a list of scalars one comma-separated value, a list of objects
    indexed keys (``pedigree.individuals.0.id``)."""
    if isinstance(value, dict):
        if not value:
            return [(prefix, "-")] if prefix else []
        rows: list[tuple[str, str]] = []
        for k in sorted(value, key=str):
            rows += _flatten(value[k], f"{prefix}.{k}" if prefix else str(k))
        return rows
    if isinstance(value, list | tuple):
        if all(not isinstance(v, dict | list | tuple) for v in value):
            return [(prefix, ", ".join(_scalar(v) for v in value) or "-")]
        rows = []
        for i, v in enumerate(value):
            rows += _flatten(v, f"{prefix}.{i}")
        return rows
    return [(prefix, _scalar(value))]


def _provenance_table(prov: dict[str, Any], small: ParagraphStyle,
                      mono: ParagraphStyle) -> Table:
    """The provenance record as a two-column key: value table (no raw JSON)."""
    rows = [[Paragraph(escape(k), small), Paragraph(escape(v), mono)]
            for k, v in _flatten(prov)]
    t = Table(rows or [["-", "-"]], colWidths=[55 * mm, 119 * mm])
    t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                           ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                           ("TOPPADDING", (0, 0), (-1, -1), 1),
                           ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    return t


def _explanation(detail: MatchDetail, heading: ParagraphStyle, normal: ParagraphStyle,
                 small: ParagraphStyle) -> list[Any]:
    """What the statistic means: the same text as the match page (``service.explain``)."""
    st = detail.stats
    if st is None:
        return []
    x = explanation(st, query=detail.query.specimen_id, candidate=detail.candidate.specimen_id,
                    mismatches=detail.match.mismatches)
    out: list[Any] = [Paragraph("What the statistic means", heading),
                      Paragraph(escape(x["what"]), small)]
    if x["hypotheses"]:
        out.append(Paragraph(escape(x["hypotheses"]), small))
    if x["scale"]:
        out.append(Paragraph(escape(x["scale"]), normal))
    if x["hypotheses"]:
        rows = [["LR", "Support for Hp over Hd"], *[[r, w] for r, w in x["rows"]]]
        t = Table(rows, colWidths=[45 * mm, 70 * mm], hAlign="LEFT")
        style: list[Any] = [("FONTSIZE", (0, 0), (-1, -1), 8),
                            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
                            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey)]
        for i, (_r, w) in enumerate(x["rows"], start=1):
            if w == x["verbal"]:
                style.append(("BACKGROUND", (0, i), (-1, i), colors.HexColor("#dcefdc")))
        t.setStyle(TableStyle(style))
        out += [Spacer(1, 2 * mm), t, Paragraph(f"Source: {escape(x['citation'])}.", small)]
    return [*out, Spacer(1, 3 * mm)]


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
    latest = detail.decisions[-1] if detail.decisions else None
    decided = (f". Decided {escape(latest.decided_at[:19].replace('T', ' '))} UTC"
               if latest is not None else "")
    story: list[Any] = [
        Paragraph(f"Locard match report - candidate match {m.id}", ss["Title"]),
        Paragraph(f"Status: <b>{escape(m.status)}</b> by {escape(m.reviewer or reviewer)}"
                  f"{decided}.", ss["Normal"]),
        Paragraph(f"Note: {escape(m.note or '-')}", ss["Normal"]),
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
    story += [Spacer(1, 3 * mm),
              *_explanation(detail, ss["Heading2"], ss["Normal"], small),
              Paragraph("Per-locus comparison", ss["Heading2"])]
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
        story += [Spacer(1, 2 * mm), _provenance_table(st["provenance"], small, mono)]
    footer = f"Locard match report - candidate match {m.id}"
    doc.build(story, canvasmaker=lambda *a, **k: _NumberedCanvas(*a, footer=footer, **k))
    return buf.getvalue()


def _grid(rows: list[list[Any]], widths: list[float], *, head: bool = True,
          highlight: int | None = None) -> Table:
    t = Table(rows, colWidths=[w * mm for w in widths], repeatRows=1 if head else 0,
              hAlign="LEFT")
    style: list[Any] = [("FONTSIZE", (0, 0), (-1, -1), 8), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey)]
    if head:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")))
    if highlight is not None:
        style.append(("BACKGROUND", (0, highlight), (-1, highlight), colors.HexColor("#dcefdc")))
    t.setStyle(TableStyle(style))
    return t


def _plot_image(png: bytes, width_mm: float) -> Any:
    """A PNG plot scaled to ``width_mm`` with its aspect ratio."""
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Image

    w, h = ImageReader(io.BytesIO(png)).getSize()
    return Image(io.BytesIO(png), width=width_mm * mm, height=width_mm * mm * h / w)


def _continuous_sections(analysis: MixtureAnalysis, ss: Any, small: Any) -> list[Any]:
    """The continuous model's fitted parameters, the observed-against-expected bar plot, the
    PP-plots with their verdicts and the Tippet test at fixed parameters: the page's plots,
    redrawn as PNG from the same objects."""
    from locard.plots import expected_heights_plot, pp_plot, tippet_plot

    out: list[Any] = [Spacer(1, 3 * mm), Paragraph("Fitted parameters", ss["Heading2"]),
                      _grid([["Parameter", "Hp", "Hd"],
                             *[[Paragraph(escape(n), small), Paragraph(escape(hp), small),
                                Paragraph(escape(hd), small)] for n, hp, hd in analysis.fitted]],
                            [60, 57, 57]),
                      Paragraph("Maximum-likelihood estimates with delta-method standard "
                                "errors (SE).", small)]
    if analysis.expected is not None:
        out += [Spacer(1, 3 * mm),
                Paragraph("Observed and expected peak heights (Hp fit)", ss["Heading2"]),
                _plot_image(expected_heights_plot(analysis.expected, format="png"), 174)]
    for which, pp in analysis.pp.items():
        verdict = (f"Poor fit: {len(pp.outside)} of {len(pp.points)} peaks lie outside the "
                   f"envelope (Bonferroni-adjusted, alpha {pp.alpha:g})." if pp.poor_fit else
                   f"Fit accepted: all {len(pp.points)} peaks lie inside the envelope "
                   f"(Bonferroni-adjusted, alpha {pp.alpha:g}).")
        out += [Spacer(1, 3 * mm),
                Paragraph(f"Model validation, {which.upper()} fit", ss["Heading2"]),
                _plot_image(pp_plot(pp, format="png"), 90), Paragraph(verdict, small)]
    tip = analysis.tippet_result
    if tip is not None and analysis.tippet is not None:
        t = analysis.tippet
        poi = escape(str(analysis.case.spec.poi))
        out += [Spacer(1, 3 * mm),
                Paragraph("Non-contributor test (at fixed parameters)", ss["Heading2"]),
                _plot_image(tippet_plot(tip, format="png"), 120),
                Paragraph(f"{t['at_or_above']} of {t['simulations']} random non-contributors "
                          f"in place of {poi} have LR &gt;= {poi}'s (share "
                          f"{t['share_at_or_above']:.4g}; bound 1/LR = "
                          f"{t['bound_one_over_lr']:.4g}). Each LR is computed with the "
                          "parameters fixed at the Hd maximum (not refitted per person), the "
                          f"person in the best of Hd's unknown slots; at these parameters {poi} "
                          f"has log10 LR = {t['observed_log10_lr']:.3f}.", small)]
    elif "tippet" in analysis.skipped:
        out.append(Paragraph(escape(analysis.skipped["tippet"]), small))
    return out


def mixture_report_pdf(analysis: MixtureAnalysis, *, reviewer: str) -> bytes:
    """The report of a mixture LR (:func:`locard.service.mixtures.mixture_analysis`) as PDF
    bytes: the hypotheses in words, the parameters, the LR with its per-locus table, the ENFSI
    verbal scale and the provenance record, with "Page N of M" on every page."""
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                            topMargin=16 * mm, bottomMargin=16 * mm,
                            title="Locard mixture LR report", author="Locard",
                            subject=("Continuous" if analysis.continuous else "Semi-continuous")
                            + " likelihood ratio of a mixed trace")
    ss = getSampleStyleSheet()
    small = ParagraphStyle("small", parent=ss["Normal"], fontSize=8, leading=10)
    mono = ParagraphStyle("mono", parent=small, fontName="Courier", fontSize=7, leading=8.5)
    r = analysis.result

    def num(x: Any, spec: str = ".4g") -> str:
        v = float(x) if x is not None else math.nan
        return _sci(v) if not math.isfinite(v) else format(v, spec)

    model_line = ("Model: continuous (gamma peak heights; Bleka, Storvik &amp; Gill 2016, "
                  "EuroForMix): the peak heights of each replicate, with degradation, stutter "
                  "and drop-in, the parameters fitted by maximum likelihood under each "
                  "hypothesis." if analysis.continuous else
                  "Model: semi-continuous (LRmix; Haned &amp; Gill): the alleles observed in "
                  "each replicate with drop-out and drop-in, not the peak heights.")
    story: list[Any] = [
        Paragraph("Locard report - likelihood ratio of a mixed trace", ss["Title"]),
        Paragraph(model_line, ss["Normal"]),
        Spacer(1, 3 * mm), Paragraph("Hypotheses", ss["Heading2"]),
        Paragraph(f"<b>Hp</b>: {escape(str(r['hypotheses']['hp']))}.", ss["Normal"]),
        Paragraph(f"<b>Hd</b>: {escape(str(r['hypotheses']['hd']))}.", ss["Normal"]),
        Spacer(1, 3 * mm), Paragraph("Result", ss["Heading2"]),
        Paragraph(f"Likelihood ratio LR = Pr(E | Hp) / Pr(E | Hd) = <b>{num(r['lr'])}</b> "
                  f"(log10 LR = {num(r['log10_lr'], '.3f')}) over {len(r['per_locus'])} "
                  "loci.", ss["Normal"]),
        Paragraph(escape(analysis.scale_sentence), ss["Normal"]),
        Spacer(1, 3 * mm), Paragraph("Parameters", ss["Heading2"]),
        _grid([[Paragraph(escape(k), small), Paragraph(escape(v), small)]
               for k, v in analysis.parameters], [55, 119], head=False),
        Spacer(1, 3 * mm), Paragraph("Per-locus likelihood ratios", ss["Heading2"]),
    ]
    if analysis.continuous:
        rows: list[list[Any]] = [["Locus", "Evidence alleles", "ln L(Hp)", "ln L(Hd)", "LR",
                                  "log10 LR"]]
        for locus, v in r["per_locus"].items():
            rows.append([locus, Paragraph(escape(", ".join(v["evidence_alleles"]) or "-"),
                                          small),
                         num(v["loglik"]["hp"], ".3f"), num(v["loglik"]["hd"], ".3f"),
                         num(v["lr"]), num(v["log10_lr"], ".3f")])
        rows.append(["Total", "", num(r["loglik"]["hp"], ".3f"), num(r["loglik"]["hd"], ".3f"),
                     num(r["lr"]), num(r["log10_lr"], ".3f")])
    else:
        rows = [["Locus", "Evidence alleles", "Pr(E | Hp)", "Pr(E | Hd)", "LR", "log10 LR"]]
        for locus, v in r["per_locus"].items():
            rows.append([locus, Paragraph(escape(", ".join(v["evidence_alleles"]) or "-"),
                                          small),
                         num(v["likelihood_hp"]), num(v["likelihood_hd"]), num(v["lr"]),
                         num(v["log10_lr"], ".3f")])
        rows.append(["Product", "", "", "", num(r["lr"]), num(r["log10_lr"], ".3f")])
    story.append(_grid(rows, [28, 44, 26, 26, 26, 24]))
    for locus, note in r["notes"].items():
        story.append(Paragraph(f"{escape(locus)}: {escape(note)}", small))
    if analysis.continuous:
        story += _continuous_sections(analysis, ss, small)
    highlight = next((i for i, (_r, w) in enumerate(analysis.scale, start=1)
                      if w == analysis.verbal), None)
    story += [Spacer(1, 3 * mm), Paragraph("Verbal scale", ss["Heading2"]),
              _grid([["LR", "Support for Hp over Hd"],
                     *[[a, b] for a, b in analysis.scale]], [45, 70], highlight=highlight),
              Paragraph(f"Source: {escape(analysis.citation)}. An LR below 1 supports Hd and "
                        "is reported as its reciprocal.", small),
              Spacer(1, 3 * mm), Paragraph("Provenance", ss["Heading2"]),
              Paragraph(f"Locard version {escape(__version__)}; report generated "
                        f"{datetime.now(UTC).isoformat(timespec='seconds')} for "
                        f"{escape(reviewer)}.", small), Spacer(1, 2 * mm),
              _provenance_table(dict(r["provenance"]), small, mono)]
    footer = "Locard mixture LR report"
    doc.build(story, canvasmaker=lambda *a, **k: _NumberedCanvas(*a, footer=footer, **k))
    return buf.getvalue()
