"""The reports' charts as plain geometry, drawn as inline SVG by ``templates/admin/_chart.html``
(no script, no CDN): bars per day, and horizontal bars for statuses and service types."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 720
DAY_CHART_HEIGHT = 180
ROW_HEIGHT = 24
LABEL_WIDTH = 200
#: Room for the value written after a horizontal bar.
VALUE_ROOM = 80


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    text: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Chart:
    """One chart: ``title`` and ``description`` name it for screen readers; ``horizontal``
    charts write each bar's label on its left and its value on its right."""

    key: str
    title: str
    description: str
    width: int
    height: int
    bars: list[Bar]
    horizontal: bool

    @property
    def empty(self) -> bool:
        return not any(bar.value for bar in self.bars)


def day_chart(
    key: str, title: str, description: str, days: Sequence[tuple[str, int, str]]
) -> Chart:
    """Vertical bars, one a day: ``days`` holds each day's label, value and shown text."""
    top = max((value for _, value, _ in days), default=0) or 1
    step = WIDTH / max(len(days), 1)
    bars = []
    for index, (label, value, text) in enumerate(days):
        height = (DAY_CHART_HEIGHT - 20) * value / top
        bars.append(
            Bar(
                label=label,
                value=value,
                text=text,
                x=round(index * step + step * 0.1, 2),
                y=round(DAY_CHART_HEIGHT - height, 2),
                width=round(max(step * 0.8, 1), 2),
                height=round(height, 2),
            )
        )
    return Chart(key, title, description, WIDTH, DAY_CHART_HEIGHT, bars, horizontal=False)


def row_chart(
    key: str, title: str, description: str, rows: Sequence[tuple[str, int, str]]
) -> Chart:
    """Horizontal bars, one a row: ``rows`` holds each row's label, value and shown text."""
    top = max((value for _, value, _ in rows), default=0) or 1
    room = WIDTH - LABEL_WIDTH - VALUE_ROOM
    bars = [
        Bar(
            label=label,
            value=value,
            text=text,
            x=LABEL_WIDTH,
            y=index * ROW_HEIGHT + 4,
            width=round(room * value / top, 2),
            height=ROW_HEIGHT - 8,
        )
        for index, (label, value, text) in enumerate(rows)
    ]
    height = max(len(rows), 1) * ROW_HEIGHT
    return Chart(key, title, description, WIDTH, height, bars, horizontal=True)
