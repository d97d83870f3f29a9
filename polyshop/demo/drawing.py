"""Product illustrations for the demo catalog, drawn with Pillow alone.

One silhouette per category (a laptop, a running shoe, a kettlebell...) in the product's
colour, on a tinted studio background with a soft floor shadow. The variant number moves
the object, scales it, and changes the backdrop and its decoration, so the products of one
category and colour do not all show the same picture. Drawn at twice the size and scaled
down with Lanczos: Pillow draws without anti-aliasing, and this is the cheap way to get it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFilter

RGB = tuple[int, int, int]

SIZE = 640
_SCALE = 2

COLORS: dict[str, RGB] = {
    "Black": (38, 38, 42),
    "White": (246, 246, 243),
    "Navy": (31, 45, 84),
    "Grey": (128, 132, 138),
    "Red": (196, 40, 44),
    "Olive": (110, 116, 56),
    "Sand": (214, 192, 150),
    "Blue": (44, 102, 196),
    "Silver": (192, 196, 202),
    "Space Grey": (88, 90, 96),
    "Green": (56, 142, 84),
    "Cream": (240, 228, 200),
    "Steel": (150, 160, 170),
    "Oak": (196, 152, 98),
    "Walnut": (110, 74, 48),
    "Brass": (196, 162, 76),
    "Brown": (120, 78, 44),
    "Tan": (196, 148, 100),
    "Purple": (112, 72, 160),
    "Teal": (32, 140, 140),
    "Yellow": (236, 190, 40),
    "Orange": (232, 112, 36),
}

#: Backdrop hues the variants cycle through, mixed into a pale tint of the product colour.
_BACKDROPS: tuple[RGB, ...] = (
    (236, 240, 246),
    (246, 238, 228),
    (232, 244, 236),
    (244, 234, 242),
    (240, 240, 236),
)


@dataclass(frozen=True, slots=True)
class Style:
    """Where and how big the object sits, and what decorates the backdrop."""

    color: RGB
    backdrop: RGB
    scale: float
    shift: float
    decoration: int


def mix(a: RGB, b: RGB, share: float) -> RGB:
    """`share` of b in a."""
    return (
        round(a[0] + (b[0] - a[0]) * share),
        round(a[1] + (b[1] - a[1]) * share),
        round(a[2] + (b[2] - a[2]) * share),
    )


def luminance(color: RGB) -> float:
    return 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2]


def style_for(color: RGB, variant: int) -> Style:
    backdrop = mix(_BACKDROPS[variant % len(_BACKDROPS)], color, 0.12)
    if luminance(color) > 200:
        backdrop = mix(backdrop, (120, 134, 156), 0.35)  # light objects need a darker set
    return Style(
        color=color,
        backdrop=backdrop,
        scale=(0.86, 0.94, 1.0, 0.9, 0.82)[variant % 5],
        shift=(0.0, -0.05, 0.05, 0.03, -0.03)[(variant // 2) % 5],
        decoration=variant % 3,
    )


class Pen:
    """Draws in unit coordinates (0..1 across the picture), placed and scaled by a Style."""

    def __init__(self, image: Image.Image, style: Style) -> None:
        self.draw = ImageDraw.Draw(image)
        self.size = image.width
        self.style = style
        self.color = style.color
        self.dark = mix(style.color, (0, 0, 0), 0.35)
        self.light = mix(style.color, (255, 255, 255), 0.35)

    def xy(self, x: float, y: float) -> tuple[float, float]:
        scale, shift = self.style.scale, self.style.shift
        return (
            (0.5 + (x - 0.5) * scale + shift) * self.size,
            (0.56 + (y - 0.56) * scale) * self.size,
        )

    def box(self, x0: float, y0: float, x1: float, y1: float) -> tuple[float, ...]:
        return (*self.xy(x0, y0), *self.xy(x1, y1))

    def width(self, share: float) -> int:
        return max(1, round(share * self.size * self.style.scale))

    def poly(
        self, points: list[tuple[float, float]], fill: RGB | None = None, *, outline: bool = True
    ) -> None:
        self.draw.polygon(
            [self.xy(x, y) for x, y in points],
            fill=fill or self.color,
            outline=self.dark if outline else None,
            width=self.width(0.006),
        )

    def rect(
        self, box: tuple[float, float, float, float], fill: RGB | None = None, radius: float = 0.0
    ) -> None:
        self.draw.rounded_rectangle(
            self.box(*box),
            radius=round(radius * self.size * self.style.scale),
            fill=fill or self.color,
            outline=self.dark,
            width=self.width(0.006),
        )

    def ellipse(self, box: tuple[float, float, float, float], fill: RGB | None = None) -> None:
        self.draw.ellipse(
            self.box(*box), fill=fill or self.color, outline=self.dark, width=self.width(0.006)
        )

    def line(
        self, points: list[tuple[float, float]], share: float, fill: RGB | None = None
    ) -> None:
        self.draw.line(
            [self.xy(x, y) for x, y in points],
            fill=fill or self.dark,
            width=self.width(share),
            joint="curve",
        )

    def arc(
        self,
        box: tuple[float, float, float, float],
        start: float,
        end: float,
        share: float,
        fill: RGB | None = None,
    ) -> None:
        self.draw.arc(self.box(*box), start, end, fill=fill or self.color, width=self.width(share))


def backdrop(style: Style, size: int) -> Image.Image:
    """A vertical gradient, a decoration, and the object's soft shadow on the floor."""
    top, bottom = mix(style.backdrop, (255, 255, 255), 0.4), mix(style.backdrop, (0, 0, 0), 0.06)
    gradient = Image.linear_gradient("L").resize((size, size))
    image = Image.composite(
        Image.new("RGB", (size, size), bottom), Image.new("RGB", (size, size), top), gradient
    )
    draw = ImageDraw.Draw(image)
    accent = mix(style.backdrop, style.color, 0.18)
    if style.decoration == 0:
        draw.ellipse((size * 0.18, size * 0.12, size * 0.82, size * 0.76), fill=accent)
    elif style.decoration == 1:
        draw.rectangle((0, size * 0.70, size, size), fill=mix(accent, top, 0.4))
    # The shadow is blurred at a quarter of the size: the same softness, a fraction of the work.
    small = size // 4
    shadow = Image.new("L", (small, small), 0)
    centre, half = small * (0.5 + style.shift), small * 0.3 * style.scale
    ImageDraw.Draw(shadow).ellipse((centre - half, small * 0.83, centre + half, small * 0.9), 110)
    shadow = shadow.filter(ImageFilter.GaussianBlur(small / 60)).resize((size, size))
    image.paste(mix(style.backdrop, (0, 0, 0), 0.45), (0, 0), shadow)
    return image


def illustrate(draw_object: Callable[[Pen], None], color: RGB, variant: int) -> Image.Image:
    """The finished SIZE x SIZE picture of one object."""
    style = style_for(color, variant)
    image = backdrop(style, SIZE * _SCALE)
    draw_object(Pen(image, style))
    return image.resize((SIZE, SIZE), Image.Resampling.LANCZOS)
