"""The README's pictures: the script drives the real app to every screen and saves each as SVG."""

from pathlib import Path

from client.screenshots import SCREENS, take


async def test_the_script_saves_every_screen(tmp_path: Path) -> None:
    """Each screen of SCREENS is saved as an SVG file in the directory given."""
    saved = await take(tmp_path, pace=0)
    assert [path.name for path in saved] == [f"{screen}.svg" for screen in SCREENS]
    for path in saved:
        assert path.read_text(encoding="utf-8").lstrip().startswith("<svg")
