"""Inline SVG drawn on the server: database growth, locus completeness, a pedigree.

No chart library and no JavaScript: each function returns an ``<svg>`` string whose text is
escaped, sized by ``viewBox`` so that CSS scales it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

__all__ = ["bar_chart", "expected_heights_svg", "growth_chart", "pedigree_svg"]

PALETTE = ("#1f5f8b", "#c0672b", "#4a8c3f", "#8a4fa0", "#b8a02a", "#3a9a9a", "#a33b3b",
           "#6b6b6b", "#2f2f7a", "#7a5a2f")


def _fmt(n: float) -> str:
    if n >= 1e6:
        return f"{n / 1e6:.1f}M"
    if n >= 1e3:
        return f"{n / 1e3:.1f}k"
    return f"{n:.0f}" if n == int(n) else f"{n:.1f}"  # ticks at quarters: 2.5, 7.5


def nice_ceiling(x: float) -> float:
    """The smallest of 1, 2, 2.5, 4, 5, 10 x 10^k at or above ``x`` (round axis ticks)."""
    if x <= 0:
        return 1.0
    k = 10 ** math.floor(math.log10(x))
    for m in (1, 2, 2.5, 4, 5, 10):
        if m * k >= x:
            return float(m * k)
    return float(10 * k)  # pragma: no cover


def growth_chart(series: Mapping[str, Sequence[tuple[str, int]]], *, width: int = 560,
                 height: int = 220, title: str = "Profiles stored over time") -> str:
    """Cumulative profiles per index: ``{index: [(day, cumulative), ...]}`` (days ISO)."""
    days = sorted({d for pts in series.values() for d, _ in pts})
    left, right, top, bottom = 48, 130, 24, 28
    w, h = width - left - right, height - top - bottom
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f'<title>{escape(title)}</title>']
    if not days:
        parts.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" '
                     'class="muted">no profiles yet</text></svg>')
        return "".join(parts)
    peak = nice_ceiling(max((v for pts in series.values() for _, v in pts), default=1))
    xi = {d: i for i, d in enumerate(days)}
    span = max(1, len(days) - 1)

    def x(d: str) -> float:
        return left + (w * xi[d] / span if len(days) > 1 else w / 2)

    def y(v: float) -> float:
        return top + h - h * v / peak

    for k in range(5):
        v = peak * k / 4
        parts.append(f'<line x1="{left}" x2="{left + w}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                     'class="grid"/>')
        parts.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" '
                     f'class="axis">{_fmt(v)}</text>')
    parts.append(f'<text x="{left}" y="{height - 8}" class="axis">{escape(days[0])}</text>')
    if len(days) > 1:
        parts.append(f'<text x="{left + w}" y="{height - 8}" text-anchor="end" '
                     f'class="axis">{escape(days[-1])}</text>')
    for n, (name, pts) in enumerate(sorted(series.items())):
        color = PALETTE[n % len(PALETTE)]
        coords = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in pts)
        if len(pts) == 1:
            d, v = pts[0]
            parts.append(f'<circle cx="{x(d):.1f}" cy="{y(v):.1f}" r="4" fill="{color}"/>')
        else:
            parts.append(f'<polyline points="{coords}" fill="none" stroke="{color}" '
                         'stroke-width="2"/>')
        ly = top + 14 * n + 6
        parts.append(f'<rect x="{left + w + 12}" y="{ly - 8}" width="10" height="10" '
                     f'fill="{color}"/><text x="{left + w + 26}" y="{ly + 1}" class="legend">'
                     f'{escape(name)} ({_fmt(pts[-1][1])})</text>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(bars: Sequence[tuple[str, float]], *, width: int = 560, height: int = 220,
              title: str = "", unit: str = "", max_value: float | None = None) -> str:
    """Vertical bars ``[(label, value)]``."""
    left, right, top, bottom = 48, 10, 24, 40
    w, h = width - left - right, height - top - bottom
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f'<title>{escape(title)}</title>']
    if not bars:
        parts.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" '
                     'class="muted">no profiles yet</text></svg>')
        return "".join(parts)
    peak = max_value or nice_ceiling(max(v for _, v in bars))
    step = w / len(bars)
    bw = max(2.0, step * 0.7)
    for k in range(5):
        v = peak * k / 4
        yy = top + h - h * v / peak
        parts.append(f'<line x1="{left}" x2="{left + w}" y1="{yy:.1f}" y2="{yy:.1f}" '
                     'class="grid"/>')
        label = f"{v:.0f}{unit}" if unit else _fmt(v)
        parts.append(f'<text x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end" '
                     f'class="axis">{label}</text>')
    for i, (label, v) in enumerate(bars):
        bh = h * v / peak
        bx = left + i * step + (step - bw) / 2
        shown = f"{v:.1f}{unit}" if unit else _fmt(v)
        parts.append(f'<rect x="{bx:.1f}" y="{top + h - bh:.1f}" width="{bw:.1f}" '
                     f'height="{bh:.1f}" class="bar"><title>{escape(label)}: {shown}</title>'
                     '</rect>')
        cx = bx + bw / 2
        parts.append(f'<text x="{cx:.1f}" y="{top + h + 12}" text-anchor="end" '
                     f'transform="rotate(-45 {cx:.1f} {top + h + 12})" class="axis small">'
                     f'{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def expected_heights_svg(loci: Sequence[tuple[str, Sequence[tuple[str, float,
                                                                    Sequence[float]]]]],
                         contributors: Sequence[str], *, columns: int = 4,
                         title: str = "Observed and expected peak heights") -> str:
    """Electropherogram-style bars per locus: ``[(locus, [(allele, observed, [expected per
    contributor]), ...]), ...]``; at each position the observed height (grey, left) beside
    the expected heights stacked by contributor (right). Each panel has its own scale (RFU);
    every bar has a tooltip with its value. The numbers are the caller's
    (:func:`locard.stats.mixture.continuous_expected.expected_heights`), drawn, not computed."""
    pw, ph, gap = 200, 130, 14
    left, top, bottom, legend = 40, 18, 22, 26
    cols = max(1, min(columns, len(loci)))
    rows = max(1, -(-len(loci) // cols))
    width = cols * (pw + gap) + gap
    height = legend + rows * (ph + gap)
    parts = [f'<svg class="chart epg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f'<title>{escape(title)}</title>']
    x0 = gap
    for label, colour in (("observed", "#9a9a9a"),
                          *((c, PALETTE[k % len(PALETTE)]) for k, c in enumerate(contributors))):
        parts.append(f'<rect x="{x0}" y="6" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{x0 + 14}" y="15" class="axis">{escape(label)}</text>')
        x0 += 24 + 7 * len(label)
    for n, (locus, peaks) in enumerate(loci):
        ox = gap + (n % cols) * (pw + gap)
        oy = legend + (n // cols) * (ph + gap)
        w, h = pw - left, ph - top - bottom
        peak = nice_ceiling(max([1.0, *(max(obs, sum(exp)) for _, obs, exp in peaks)]))
        parts.append(f'<text x="{ox + left + w / 2:.1f}" y="{oy + 12}" text-anchor="middle" '
                     f'class="axis"><tspan font-weight="bold">{escape(locus)}</tspan></text>')
        for k in range(3):
            v = peak * k / 2
            yy = oy + top + h - h * v / peak
            parts.append(f'<line x1="{ox + left}" x2="{ox + left + w}" y1="{yy:.1f}" '
                         f'y2="{yy:.1f}" class="grid"/><text x="{ox + left - 4}" '
                         f'y="{yy + 3:.1f}" text-anchor="end" class="axis small">'
                         f'{_fmt(v)}</text>')
        step = w / max(len(peaks), 1)
        bw = max(1.5, step * 0.38)
        base = oy + top + h
        for i, (allele, observed, expected) in enumerate(peaks):
            bx = ox + left + i * step + step / 2
            bh = h * observed / peak
            parts.append(f'<rect x="{bx - bw:.1f}" y="{base - bh:.1f}" width="{bw:.1f}" '
                         f'height="{bh:.1f}" fill="#9a9a9a"><title>{escape(locus)} '
                         f'{escape(allele)}: observed {observed:.0f} RFU</title></rect>')
            y = float(base)
            for k, (name, v) in enumerate(zip(contributors, expected, strict=True)):
                eh = h * v / peak
                y -= eh
                parts.append(f'<rect x="{bx:.1f}" y="{y:.1f}" width="{bw:.1f}" '
                             f'height="{eh:.1f}" fill="{PALETTE[k % len(PALETTE)]}"><title>'
                             f'{escape(locus)} {escape(allele)}: expected from {escape(name)} '
                             f'{v:.0f} RFU</title></rect>')
            parts.append(f'<text x="{bx:.1f}" y="{base + 11:.1f}" text-anchor="middle" '
                         f'class="axis small">{escape(allele)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def pedigree_svg(individuals: Sequence[Mapping[str, Any]], *, missing: str,
                 typed: set[str] | None = None) -> str:
    """A pedigree: squares (male), circles (female), diamonds (unknown); the missing person
    highlighted, typed individuals filled. ``individuals``: ``{id, father, mother, sex}``."""
    by_id = {str(p["id"]): p for p in individuals}
    depth: dict[str, int] = {}

    def gen(pid: str, seen: frozenset[str] = frozenset()) -> int:
        if pid in depth:
            return depth[pid]
        p = by_id.get(pid)
        if p is None or pid in seen:
            return 0
        parents = [q for q in (p.get("father"), p.get("mother")) if q and str(q) in by_id]
        d = 0 if not parents else 1 + max(gen(str(q), seen | {pid}) for q in parents)
        depth[pid] = d
        return d

    for pid in by_id:
        gen(pid)
    rows: dict[int, list[str]] = {}
    for pid in by_id:
        rows.setdefault(depth[pid], []).append(pid)
    size, gap_x, gap_y = 34, 90, 90
    width = max(240, gap_x * max((len(r) for r in rows.values()), default=1) + 40)
    height = gap_y * (max(rows, default=0) + 1) + 30
    pos: dict[str, tuple[float, float]] = {}
    for d, ids in sorted(rows.items()):
        ids.sort(key=lambda i: (str(by_id[i].get("father") or ""), i))
        offset = (width - gap_x * len(ids)) / 2 + gap_x / 2
        for k, pid in enumerate(ids):
            pos[pid] = (offset + k * gap_x, 30 + d * gap_y)
    typed = typed or set()
    parts = [f'<svg class="pedigree" viewBox="0 0 {width} {height}" role="img" '
             'aria-label="pedigree" xmlns="http://www.w3.org/2000/svg">']
    for pid, p in by_id.items():
        parents = [str(q) for q in (p.get("father"), p.get("mother")) if q and str(q) in pos]
        if not parents:
            continue
        cx, cy = pos[pid]
        px = sum(pos[q][0] for q in parents) / len(parents)
        py = max(pos[q][1] for q in parents) + size / 2
        mid = (py + cy - size / 2) / 2
        if len(parents) == 2:
            a, b = pos[parents[0]], pos[parents[1]]
            parts.append(f'<line x1="{a[0]:.1f}" y1="{a[1]:.1f}" x2="{b[0]:.1f}" '
                         f'y2="{b[1]:.1f}" class="mate"/>')
            py = a[1]
        parts.append(f'<path d="M{px:.1f},{py:.1f} V{mid:.1f} H{cx:.1f} V{cy - size / 2:.1f}" '
                     'class="descent" fill="none"/>')
    for pid, p in by_id.items():
        cx, cy = pos[pid]
        sex = str(p.get("sex") or "unknown").lower()
        cls = "node" + (" missing" if pid == missing else "") + (" typed" if pid in typed
                                                                 else "")
        r = size / 2
        if sex.startswith("m") or sex == "1":
            shape = f'<rect x="{cx - r:.1f}" y="{cy - r:.1f}" width="{size}" height="{size}"'
        elif sex.startswith("f") or sex == "2":
            shape = f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r:.1f}"'
        else:
            shape = (f'<polygon points="{cx:.1f},{cy - r:.1f} {cx + r:.1f},{cy:.1f} '
                     f'{cx:.1f},{cy + r:.1f} {cx - r:.1f},{cy:.1f}"')
        parts.append(f'{shape} class="{cls}"><title>{escape(pid)}</title></' +
                     ("rect>" if shape.startswith("<rect") else
                      "circle>" if shape.startswith("<circle") else "polygon>"))
        parts.append(f'<text x="{cx:.1f}" y="{cy + r + 14:.1f}" text-anchor="middle" '
                     f'class="label">{escape(pid)}{" ?" if pid == missing else ""}</text>')
    parts.append("</svg>")
    return "".join(parts)
