"""The reports' charts as plain geometry, drawn as inline SVG by ``templates/admin/_chart.html``
(no script, no CDN): bars per day, and horizontal bars for statuses and service types."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

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

    def svg_bars(self) -> Markup:
        """The bars as SVG, written here rather than in the template: a year's chart has 365
        bars, and the template's loop over them cost a third of the page's rendering."""
        draw = _row_bar if self.horizontal else _column_bar
        return Markup("".join(draw(bar) for bar in self.bars))  # noqa: S704 - escaped in draw


def _column_bar(bar: Bar) -> str:
    return (
        f'<rect class="report-chart-bar" x="{bar.x}" y="{bar.y}" width="{bar.width}" '
        f'height="{bar.height}" fill="#2fa4e7"><title>{escape(bar.label)}: {escape(bar.text)}'
        "</title></rect>"
    )


def _row_bar(bar: Bar) -> str:
    label, text = escape(bar.label), escape(bar.text)
    bottom = bar.y + bar.height - 3
    return (
        f'<text class="report-chart-label" x="{bar.x - 8}" y="{bottom}" text-anchor="end">'
        f"{label}</text>{_column_bar(bar)}"
        f'<text class="report-chart-value" x="{bar.x + bar.width + 6}" y="{bottom}">{text}</text>'
    )


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
