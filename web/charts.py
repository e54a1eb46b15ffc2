"""Geometry for the dashboard's server-rendered SVG charts (templates draw the shapes, so
every label is escaped by Jinja; no script, no inline style)."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 600
HEIGHT = 180
AXIS = 24  # room under the bars for the labels


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    x: float
    y: float
    width: float
    height: float

    @property
    def middle(self) -> float:
        return round(self.x + self.width / 2, 1)


@dataclass(frozen=True)
class BarChart:
    bars: tuple[Bar, ...]
    width: int = WIDTH
    height: int = HEIGHT
    baseline: int = HEIGHT - AXIS
    label_every: int = 1  # with many bars, label one in n

    @property
    def empty(self) -> bool:
        return not any(bar.value for bar in self.bars)


def bar_chart(series: list[tuple[str, float]], width: int = WIDTH,
              height: int = HEIGHT) -> BarChart:
    """Vertical bars scaled to the largest value (top margin for its figure)."""
    baseline = height - AXIS
    top = max((value for _, value in series), default=0) or 1
    slot = width / max(len(series), 1)
    bars = tuple(Bar(label, value, x=round(i * slot + slot * 0.15, 1),
                     y=round(baseline - (baseline - 16) * value / top, 1),
                     width=round(slot * 0.7, 1),
                     height=round((baseline - 16) * value / top, 1))
                 for i, (label, value) in enumerate(series))
    return BarChart(bars, width, height, baseline, label_every=max(1, len(series) // 12))


def split_bar(parts: list[tuple[str, float]], width: int = WIDTH) -> tuple[Bar, ...]:
    """One horizontal bar cut into its parts (active vs passive), widths by share."""
    total = sum(value for _, value in parts) or 1
    bars, x = [], 0.0
    for label, value in parts:
        share = width * value / total
        bars.append(Bar(label, value, x=round(x, 1), y=0, width=round(share, 1), height=28))
        x += share
    return tuple(bars)
