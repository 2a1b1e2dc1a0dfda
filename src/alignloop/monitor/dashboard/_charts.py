"""Inline SVG line charts with confidence bands: no JavaScript, no external assets."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

COLORS = ("#4a7ab7", "#c62828", "#2e8b57", "#8e44ad", "#e67e22", "#16a085")


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None], Sequence[tuple[float, float] | None] | None]],
    *,
    title: str = "",
    width: int = 720,
    height: int = 220,
    percent: bool = True,
    marks: Sequence[int] = (),
) -> str:
    """One line per ``(name, values, bands)``; ``bands`` are (low, high) per point; ``marks`` ring points (alerts)."""
    left, top, right, bottom = 48, 24, 12, 36
    w, h = width - left - right, height - top - bottom
    vals = [v for _, ys, _ in series for v in ys if v is not None]
    vals += [b[1] for _, _, bands in series for b in (bands or []) if b is not None]
    ymax = max(vals, default=0.0) or (1.0 if not percent else 0.01)
    ymax *= 1.1
    n = max(len(labels), 1)

    def x(i: int) -> float:
        return left + (w * i / (n - 1) if n > 1 else w / 2)

    def y(v: float) -> float:
        return top + h - h * v / ymax

    fmt = (lambda v: f"{v:.1%}") if percent else (lambda v: f"{v:,.0f}")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" role="img">',
        f'<text x="0" y="14" font-size="13" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + h}" x2="{left + w}" y2="{top + h}" stroke="#999"/>',
        f'<text x="{left - 4}" y="{top + 4}" font-size="10" text-anchor="end">{fmt(ymax)}</text>',
        f'<text x="{left - 4}" y="{top + h}" font-size="10" text-anchor="end">{fmt(0.0)}</text>',
    ]
    step = max(1, n // 6)
    for i, lab in enumerate(labels):
        if i % step == 0:
            out.append(
                f'<text x="{x(i):.1f}" y="{top + h + 14}" font-size="10" text-anchor="middle">{escape(lab)}</text>'
            )
    for k, (name, ys, bands) in enumerate(series):
        color = COLORS[k % len(COLORS)]
        if bands:
            upper = [(x(i), y(b[1])) for i, b in enumerate(bands) if b is not None]
            lower = [(x(i), y(b[0])) for i, b in enumerate(bands) if b is not None]
            if upper:
                band = " ".join(f"{a:.1f},{b:.1f}" for a, b in upper + lower[::-1])
                out.append(f'<polygon points="{band}" fill="{color}" opacity="0.15"/>')
        pts = [(x(i), y(v)) for i, v in enumerate(ys) if v is not None]
        if pts:
            line = " ".join(f"{a:.1f},{b:.1f}" for a, b in pts)
            out.append(f'<polyline class="series" fill="none" stroke="{color}" stroke-width="2" points="{line}"/>')
        for i, v in enumerate(ys):
            if v is not None:
                ring = i in marks
                tip = f"{escape(name)} {escape(labels[i])}: {fmt(v)}"
                out.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="{5 if ring else 2.5}" '
                    f'fill="{"#fff" if ring else color}" stroke="{color if not ring else "#c62828"}" '
                    f'stroke-width="{2 if ring else 1}"><title>{tip}</title></circle>'
                )
        out.append(
            f'<rect x="{left + 8 + k * 150}" y="{height - 12}" width="10" height="10" fill="{color}"/>'
            f'<text x="{left + 22 + k * 150}" y="{height - 3}" font-size="11">{escape(name)}</text>'
        )
    out.append("</svg>")
    return "".join(out)
