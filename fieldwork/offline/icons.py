"""The app's icons, drawn with Pillow: ``python -m fieldwork.offline.icons`` writes them to ``static/icons/``.

A white house with a tick on the app's green: a household visited. The maskable icon keeps the drawing inside the
central 80 % circle that Android may crop to; the SVG is the same drawing for browsers that take vector icons.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

GREEN = "#0b5d3b"
WHITE = "#ffffff"
# The drawing on a 100 × 100 grid: roof, walls, tick.
ROOF = [(50, 18), (86, 48), (14, 48)]
WALLS = (24, 46, 76, 82)
TICK = [(36, 63), (46, 73), (66, 52)]

SVG = f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">
<rect width="100" height="100" rx="18" fill="{GREEN}"/>
<polygon points="{' '.join(f'{x},{y}' for x, y in ROOF)}" fill="{WHITE}"/>
<rect x="{WALLS[0]}" y="{WALLS[1]}" width="{WALLS[2] - WALLS[0]}" height="{WALLS[3] - WALLS[1]}" fill="{WHITE}"/>
<polyline points="{' '.join(f'{x},{y}' for x, y in TICK)}" fill="none" stroke="{GREEN}" stroke-width="7"
 stroke-linecap="round" stroke-linejoin="round"/>
</svg>
"""


def draw(size: int, *, maskable: bool = False) -> Image.Image:
    scale = 4  # drawn large, then reduced: smooth edges without anti-aliasing primitives
    big = size * scale
    image = Image.new("RGB" if maskable else "RGBA", (big, big), GREEN if maskable else (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if not maskable:
        pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 18 // 100, fill=GREEN)
    shrink, offset = (0.7, 0.15) if maskable else (1.0, 0.0)

    def at(x: float, y: float) -> tuple[float, float]:
        return ((offset + x / 100 * shrink) * big, (offset + y / 100 * shrink) * big)

    pen.polygon([at(*p) for p in ROOF], fill=WHITE)
    pen.rectangle((*at(WALLS[0], WALLS[1]), *at(WALLS[2], WALLS[3])), fill=WHITE)
    pen.line([at(*p) for p in TICK], fill=GREEN, width=int(7 / 100 * shrink * big), joint="curve")
    return image.resize((size, size), Image.LANCZOS)


def write_icons(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, size, maskable in (("favicon-32.png", 32, False), ("icon-192.png", 192, False),
                                 ("icon-512.png", 512, False), ("icon-maskable-512.png", 512, True)):
        path = folder / name
        # 32 colours are plenty for two colours and their smoothed edges: a third of the bytes.
        draw(size, maskable=maskable).quantize(colors=32, method=Image.Quantize.FASTOCTREE).save(path, optimize=True)
        written.append(path)
    (folder / "icon.svg").write_text(SVG, encoding="utf-8")
    return [*written, folder / "icon.svg"]


if __name__ == "__main__":
    from fieldwork import PROJECT_ROOT

    for path in write_icons(PROJECT_ROOT / "static" / "icons"):
        print(path, path.stat().st_size, "bytes")
