"""Two small SVG charts for reports, written by hand: no plotting library, no script.

* `stacked_bars`: one horizontal bar per row, split into coloured segments
  (met / breached / open), with the row's label left and a note right;
* `columns`: a vertical bar per bucket (a distribution), counts on top.

Both return a self-contained `<svg>` element (text escaped, sizes in px, a
`<title>` on every shape for a hover tooltip) that scales with the page
(`viewBox`, width 100 %).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', sans-serif\""


@dataclass(frozen=True)
class Segment:
    value: int
    colour: str
    title: str  # what the segment is ("met"), shown in the tooltip


@dataclass(frozen=True)
class BarRow:
    label: str
    segments: Sequence[Segment]
    note: str = ""  # right of the bar, e.g. "80% met"


def stacked_bars(rows: Sequence[BarRow], *, width: int = 760, row_height: int = 30,
                 label_width: int = 170, note_width: int = 90) -> str:
    """Horizontal stacked bars, all on one scale (the largest row fills the width)."""
    top, gap = 8, 8
    height = top + len(rows) * (row_height + gap)
    track = width - label_width - note_width
    largest = max((sum(s.value for s in r.segments) for r in rows), default=0) or 1
    parts = [_open(width, height)]
    for index, row in enumerate(rows):
        y = top + index * (row_height + gap)
        middle = y + row_height / 2 + 5
        parts.append(f'<text x="{label_width - 10}" y="{middle}" text-anchor="end" '
                     f'font-size="14" fill="#333">{escape(_clip(row.label, 22))}</text>')
        x = float(label_width)
        for segment in row.segments:
            if segment.value <= 0:
                continue
            length = track * segment.value / largest
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{length:.1f}" '
                         f'height="{row_height}" fill="{segment.colour}">'
                         f'<title>{escape(row.label)}: {segment.value} {escape(segment.title)}'
                         f'</title></rect>')
            if length >= 28:
                parts.append(f'<text x="{x + length / 2:.1f}" y="{middle}" '
                             f'text-anchor="middle" font-size="13" fill="#fff">'
                             f'{segment.value}</text>')
            x += length
        parts.append(f'<text x="{x + 8:.1f}" y="{middle}" font-size="13" fill="#555">'
                     f'{escape(row.note)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def columns(labels: Sequence[str], counts: Sequence[int], *, colour: str = "#1565c0",
            width: int = 760, height: int = 240, what: str = "tickets") -> str:
    """A column per bucket, the count above each, the bucket's label below."""
    top, bottom, left = 24, 40, 10
    plot = height - top - bottom
    slot = (width - 2 * left) / max(len(labels), 1)
    tallest = max(counts, default=0) or 1
    parts = [_open(width, height),
             f'<line x1="{left}" y1="{top + plot}" x2="{width - left}" y2="{top + plot}" '
             f'stroke="#bbb"/>']
    for index, (label, count) in enumerate(zip(labels, counts, strict=True)):
        x = left + index * slot
        bar = plot * count / tallest
        parts.append(f'<rect x="{x + slot * 0.15:.1f}" y="{top + plot - bar:.1f}" '
                     f'width="{slot * 0.7:.1f}" height="{bar:.1f}" fill="{colour}" rx="2">'
                     f'<title>{escape(label)}: {count} {escape(what)}</title></rect>')
        parts.append(f'<text x="{x + slot / 2:.1f}" y="{top + plot - bar - 6:.1f}" '
                     f'text-anchor="middle" font-size="13" fill="#333">{count}</text>')
        parts.append(f'<text x="{x + slot / 2:.1f}" y="{top + plot + 20}" '
                     f'text-anchor="middle" font-size="12" fill="#555">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _open(width: int, height: int) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="100%" role="img" {FONT}>')


def _clip(text: str, most: int) -> str:
    return text if len(text) <= most else text[:most - 1] + "…"
