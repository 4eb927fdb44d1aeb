"""What a widget really puts on the terminal: the text and styles of its rendered strips."""

from rich.segment import Segment
from textual.geometry import Region
from textual.widget import Widget


def segments(widget: Widget) -> list[Segment]:
    """Every segment of every line `widget` renders, padding included, scrolled-off lines too."""
    return [
        segment
        for strip in widget.render_lines(Region(0, 0, *widget.outer_size))
        for segment in strip
    ]


def shown(widget: Widget) -> str:
    """The characters `widget` sends to the terminal, lines joined with nothing between."""
    return "".join(segment.text for segment in segments(widget))


def links(widget: Widget) -> list[str]:
    """Every hyperlink among the styles of `widget`'s rendered segments."""
    return [
        segment.style.link
        for segment in segments(widget)
        if segment.style is not None and segment.style.link
    ]
