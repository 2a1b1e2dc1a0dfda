"""Inline SVG plots (no external assets, no plotting library): bars, paired bars, heatmaps."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape


def _ci(x0: float, w: float, lo: float | None, hi: float | None, y: float) -> str:
    if lo is None or hi is None:
        return ""
    return (
        f'<line x1="{x0 + lo * w:.1f}" x2="{x0 + hi * w:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
        'stroke="#222" stroke-width="1.5"/>'
    )


def bar_chart(rows: Sequence[tuple[str, float | None, float | None, float | None]], title: str = "") -> str:
    """Horizontal bars for rates in [0, 1]: ``(label, value, ci_low, ci_high)`` per bar, CI as a whisker."""
    lw, w, bh = 170, 320, 18
    h = 24 + len(rows) * (bh + 6)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{lw + w + 60}" height="{h}" role="img">',
        f'<text x="0" y="14" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (label, v, lo, hi) in enumerate(rows):
        y = 24 + i * (bh + 6)
        parts.append(f'<text x="{lw - 6}" y="{y + 13}" font-size="11" text-anchor="end">{escape(label)}</text>')
        parts.append(f'<rect x="{lw}" y="{y}" width="{w}" height="{bh}" fill="#eee"/>')
        if v is not None:
            parts.append(f'<rect x="{lw}" y="{y}" width="{v * w:.1f}" height="{bh}" fill="#4a7ab7"/>')
            parts.append(_ci(lw, w, lo, hi, y + bh / 2))
            parts.append(f'<text x="{lw + w + 4}" y="{y + 13}" font-size="11">{v:.1%}</text>')
        else:
            parts.append(f'<text x="{lw + w + 4}" y="{y + 13}" font-size="11">n/a</text>')
    parts.append("</svg>")
    return "".join(parts)


def paired_bars(
    rows: Sequence[tuple[str, float | None, float | None]],
    labels: tuple[str, str] = ("before", "after"),
    title: str = "",
) -> str:
    """Before/after bars per metric: ``(metric, before, after)``."""
    lw, w, bh = 190, 300, 12
    h = 40 + len(rows) * (2 * bh + 10)
    colors = ("#9aa5b1", "#2e8b57")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{lw + w + 70}" height="{h}" role="img">',
        f'<text x="0" y="14" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for j, (lab, col) in enumerate(zip(labels, colors, strict=True)):
        parts.append(
            f'<rect x="{lw + j * 90}" y="20" width="10" height="10" fill="{col}"/>'
            f'<text x="{lw + 14 + j * 90}" y="29" font-size="11">{escape(lab)}</text>'
        )
    for i, (metric, a, b) in enumerate(rows):
        y = 38 + i * (2 * bh + 10)
        parts.append(f'<text x="{lw - 6}" y="{y + bh + 4}" font-size="11" text-anchor="end">{escape(metric)}</text>')
        for j, (v, col) in enumerate(zip((a, b), colors, strict=True)):
            yy = y + j * bh
            if v is not None:
                parts.append(
                    f'<rect x="{lw}" y="{yy}" width="{v * w:.1f}" height="{bh - 1}" fill="{col}"/>'
                    f'<text x="{lw + v * w + 4:.1f}" y="{yy + 10}" font-size="10">{v:.1%}</text>'
                )
    parts.append("</svg>")
    return "".join(parts)


def heatmap(
    rows: Sequence[str], cols: Sequence[str], values: dict[tuple[str, str], float | None], title: str = ""
) -> str:
    """A rows x cols grid of rates in [0, 1] (white -> red), empty cells grey."""
    lw, cw, ch, top = 150, 46, 22, 110
    width, height = lw + cw * len(cols) + 10, top + ch * len(rows) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">',
        f'<text x="0" y="14" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for j, c in enumerate(cols):
        x = lw + j * cw + cw / 2
        parts.append(
            f'<text x="{x:.0f}" y="{top - 6}" font-size="10" transform="rotate(-50 {x:.0f} {top - 6})">'
            f"{escape(c)}</text>"
        )
    for i, r in enumerate(rows):
        y = top + i * ch
        parts.append(f'<text x="{lw - 6}" y="{y + 15}" font-size="11" text-anchor="end">{escape(r)}</text>')
        for j, c in enumerate(cols):
            v = values.get((r, c))
            fill = "#ddd" if v is None else f"rgb(255,{int(255 * (1 - v))},{int(255 * (1 - v))})"
            txt = "" if v is None else f"{v * 100:.0f}"
            parts.append(
                f'<rect x="{lw + j * cw}" y="{y}" width="{cw - 2}" height="{ch - 2}" fill="{fill}">'
                f"<title>{escape(r)} x {escape(c)}: {txt}%</title></rect>"
                f'<text x="{lw + j * cw + cw / 2 - 1:.0f}" y="{y + 15}" font-size="10" text-anchor="middle">'
                f"{txt}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)
