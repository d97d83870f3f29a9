"""One simple object per demo category, drawn by a Pen in unit coordinates (floor at 0.86)."""

from __future__ import annotations

from collections.abc import Callable

from polyshop.demo.drawing import Pen

INK = (40, 42, 48)
PAPER = (250, 250, 246)
GLASS = (52, 62, 80)


def laptop(pen: Pen) -> None:
    pen.rect((0.2, 0.26, 0.8, 0.7), radius=0.02)
    pen.rect((0.235, 0.29, 0.765, 0.67), fill=GLASS, radius=0.01)
    pen.poly([(0.22, 0.4), (0.5, 0.29), (0.6, 0.29), (0.24, 0.6)], fill=(72, 84, 104))
    pen.poly([(0.2, 0.7), (0.8, 0.7), (0.9, 0.84), (0.1, 0.84)])
    pen.rect((0.42, 0.775, 0.58, 0.815), fill=pen.light, radius=0.01)


def phone(pen: Pen) -> None:
    pen.rect((0.36, 0.14, 0.64, 0.86), radius=0.05)
    pen.rect((0.38, 0.18, 0.62, 0.82), fill=GLASS, radius=0.03)
    pen.poly([(0.38, 0.4), (0.62, 0.22), (0.62, 0.34), (0.38, 0.55)], fill=(70, 82, 102))
    pen.ellipse((0.485, 0.155, 0.515, 0.172), fill=INK)


def headphones(pen: Pen) -> None:
    pen.arc((0.24, 0.16, 0.76, 0.72), 180, 360, 0.05, fill=pen.dark)
    pen.arc((0.25, 0.17, 0.75, 0.71), 185, 355, 0.03)
    pen.rect((0.2, 0.44, 0.33, 0.74), radius=0.06)
    pen.rect((0.67, 0.44, 0.8, 0.74), radius=0.06)
    pen.rect((0.29, 0.48, 0.34, 0.7), fill=pen.dark, radius=0.02)
    pen.rect((0.66, 0.48, 0.71, 0.7), fill=pen.dark, radius=0.02)


def camera(pen: Pen) -> None:
    pen.rect((0.38, 0.26, 0.58, 0.36), radius=0.02)
    pen.rect((0.16, 0.32, 0.84, 0.78), radius=0.05)
    pen.rect((0.16, 0.42, 0.84, 0.68), fill=pen.dark, radius=0.0)
    pen.ellipse((0.34, 0.34, 0.66, 0.76), fill=INK)
    pen.ellipse((0.39, 0.39, 0.61, 0.71), fill=GLASS)
    pen.ellipse((0.44, 0.45, 0.5, 0.5), fill=(200, 210, 230))
    pen.ellipse((0.72, 0.36, 0.78, 0.4), fill=(236, 230, 200))


def frying_pan(pen: Pen) -> None:
    pen.rect((0.6, 0.5, 0.95, 0.57), fill=INK, radius=0.03)
    pen.ellipse((0.1, 0.34, 0.66, 0.8))
    pen.ellipse((0.15, 0.38, 0.61, 0.74), fill=(58, 58, 62))
    pen.ellipse((0.22, 0.44, 0.4, 0.54), fill=(84, 84, 90))


def armchair(pen: Pen) -> None:
    pen.rect((0.24, 0.2, 0.76, 0.6), radius=0.06)
    pen.rect((0.18, 0.52, 0.82, 0.74), radius=0.04)
    pen.rect((0.14, 0.42, 0.26, 0.76), fill=pen.light, radius=0.04)
    pen.rect((0.74, 0.42, 0.86, 0.76), fill=pen.light, radius=0.04)
    pen.line([(0.22, 0.76), (0.2, 0.86)], 0.02, fill=INK)
    pen.line([(0.78, 0.76), (0.8, 0.86)], 0.02, fill=INK)


def desk_lamp(pen: Pen) -> None:
    pen.poly([(0.44, 0.4), (0.64, 0.4), (0.86, 0.84), (0.3, 0.84)], (255, 246, 214), outline=False)
    pen.ellipse((0.2, 0.8, 0.48, 0.87))
    pen.line([(0.34, 0.82), (0.26, 0.5), (0.48, 0.24)], 0.022)
    pen.poly([(0.46, 0.16), (0.6, 0.16), (0.72, 0.42), (0.36, 0.42)])
    pen.ellipse((0.5, 0.39, 0.58, 0.45), fill=(255, 236, 160))


def running_shoe(pen: Pen) -> None:
    upper = [(0.12, 0.62), (0.2, 0.44), (0.36, 0.4), (0.5, 0.52), (0.74, 0.58), (0.88, 0.66)]
    pen.poly([*upper, (0.88, 0.76), (0.12, 0.76)])
    pen.rect((0.1, 0.74, 0.9, 0.82), fill=PAPER, radius=0.03)
    pen.line([(0.3, 0.66), (0.5, 0.6), (0.72, 0.66)], 0.018, fill=pen.light)
    for i in range(4):
        x = 0.36 + i * 0.05
        pen.line([(x, 0.44 + i * 0.025), (x + 0.04, 0.47 + i * 0.025)], 0.01, fill=PAPER)


def boot(pen: Pen) -> None:
    pen.poly([(0.3, 0.16), (0.56, 0.16), (0.58, 0.56), (0.82, 0.64), (0.86, 0.78), (0.26, 0.78)])
    pen.rect((0.24, 0.76, 0.88, 0.84), fill=INK, radius=0.02)
    pen.rect((0.28, 0.16, 0.58, 0.22), fill=pen.dark, radius=0.01)
    for i in range(5):
        y = 0.28 + i * 0.06
        pen.line([(0.5, y), (0.58, y + 0.02)], 0.01, fill=pen.light)


def shirt(pen: Pen) -> None:
    body = [(0.34, 0.16), (0.44, 0.18), (0.56, 0.18), (0.66, 0.16), (0.86, 0.3), (0.78, 0.44)]
    pen.poly([*body, (0.7, 0.4), (0.7, 0.84), (0.3, 0.84), (0.3, 0.4), (0.22, 0.44), (0.14, 0.3)])
    pen.poly([(0.44, 0.18), (0.5, 0.28), (0.56, 0.18), (0.5, 0.22)], fill=pen.light)
    for i in range(5):
        y = 0.34 + i * 0.1
        pen.ellipse((0.49, y, 0.51, y + 0.02), fill=PAPER)


def dress(pen: Pen) -> None:
    pen.poly([(0.4, 0.14), (0.44, 0.16), (0.56, 0.16), (0.6, 0.14), (0.62, 0.44), (0.38, 0.44)])
    pen.poly([(0.38, 0.44), (0.62, 0.44), (0.8, 0.86), (0.2, 0.86)])
    pen.rect((0.37, 0.42, 0.63, 0.47), fill=pen.dark, radius=0.01)
    for x in (0.36, 0.5, 0.64):
        pen.line([(0.5 + (x - 0.5) * 0.4, 0.5), (x, 0.84)], 0.006, fill=pen.light)


def jacket(pen: Pen) -> None:
    pen.ellipse((0.38, 0.08, 0.62, 0.28), fill=pen.dark)
    body = [(0.36, 0.18), (0.64, 0.18), (0.86, 0.32), (0.86, 0.8), (0.74, 0.8), (0.72, 0.44)]
    pen.poly(
        [*body, (0.72, 0.86), (0.28, 0.86), (0.28, 0.44), (0.26, 0.8), (0.14, 0.8), (0.14, 0.32)]
    )
    pen.line([(0.5, 0.22), (0.5, 0.86)], 0.008, fill=INK)
    pen.rect((0.33, 0.6, 0.45, 0.64), fill=pen.dark, radius=0.01)
    pen.rect((0.55, 0.6, 0.67, 0.64), fill=pen.dark, radius=0.01)


def helmet(pen: Pen) -> None:
    pen.poly([(0.12, 0.62), (0.2, 0.38), (0.4, 0.24), (0.64, 0.24), (0.84, 0.38), (0.9, 0.62)])
    pen.rect((0.1, 0.6, 0.9, 0.66), fill=INK, radius=0.02)
    for i in range(4):
        x = 0.3 + i * 0.12
        pen.poly([(x, 0.34), (x + 0.07, 0.34), (x + 0.06, 0.5), (x + 0.01, 0.5)], fill=INK)
    pen.line([(0.24, 0.66), (0.34, 0.82), (0.6, 0.82), (0.72, 0.66)], 0.008, fill=INK)


def kettlebell(pen: Pen) -> None:
    pen.arc((0.3, 0.14, 0.7, 0.56), 180, 360, 0.07, fill=pen.dark)
    pen.rect((0.3, 0.34, 0.36, 0.5), fill=pen.dark)
    pen.rect((0.64, 0.34, 0.7, 0.5), fill=pen.dark)
    pen.ellipse((0.2, 0.38, 0.8, 0.86))
    pen.ellipse((0.3, 0.48, 0.44, 0.58), fill=pen.light)
    pen.rect((0.34, 0.82, 0.66, 0.86), fill=INK, radius=0.01)


def book(pen: Pen) -> None:
    pen.rect((0.3, 0.14, 0.76, 0.84), fill=PAPER, radius=0.01)
    pen.rect((0.26, 0.12, 0.72, 0.82), radius=0.01)
    pen.rect((0.26, 0.12, 0.31, 0.82), fill=pen.dark)
    pen.rect((0.38, 0.24, 0.66, 0.3), fill=PAPER, radius=0.01)
    pen.rect((0.38, 0.34, 0.58, 0.37), fill=pen.light, radius=0.01)
    pen.ellipse((0.42, 0.48, 0.62, 0.68), fill=pen.light)


def bricks(pen: Pen) -> None:
    rows = ((0.2, 0.66, 0.8, 0.84), (0.28, 0.48, 0.72, 0.66), (0.36, 0.3, 0.64, 0.48))
    shades = (pen.color, pen.light, pen.dark)
    for (x0, y0, x1, y1), shade in zip(rows, shades, strict=True):
        count = round((x1 - x0) / 0.1)
        for i in range(count):
            sx = x0 + (i + 0.5) * (x1 - x0) / count
            pen.rect((sx - 0.03, y0 - 0.04, sx + 0.03, y0 + 0.01), fill=shade, radius=0.01)
        pen.rect((x0, y0, x1, y1), fill=shade, radius=0.01)


def bottle(pen: Pen) -> None:
    pen.rect((0.44, 0.12, 0.56, 0.2), fill=INK, radius=0.01)
    pen.rect((0.4, 0.2, 0.6, 0.28), fill=pen.dark, radius=0.01)
    pen.rect((0.32, 0.28, 0.68, 0.86), radius=0.06)
    pen.rect((0.36, 0.46, 0.64, 0.7), fill=PAPER, radius=0.01)
    pen.rect((0.4, 0.52, 0.6, 0.55), fill=pen.dark)
    pen.rect((0.4, 0.6, 0.54, 0.62), fill=pen.light)


def trowel(pen: Pen) -> None:
    pen.line([(0.3, 0.3), (0.52, 0.5)], 0.028, fill=(120, 128, 138))
    pen.rect((0.16, 0.2, 0.36, 0.34), radius=0.06)
    blade = [(0.46, 0.44), (0.58, 0.38), (0.8, 0.58), (0.86, 0.82), (0.62, 0.76), (0.42, 0.56)]
    pen.poly(blade, fill=(176, 184, 194))
    pen.line([(0.52, 0.48), (0.78, 0.74)], 0.006, fill=(120, 128, 138))


#: The demo categories: what the picture shows, how to draw it, and, for categories whose
#: products have no colour, the colours its pictures cycle through.
SILHOUETTES: dict[str, tuple[str, Callable[[Pen], None], tuple[str, ...]]] = {
    "electronics/laptops": ("laptop", laptop, ()),
    "electronics/phones": ("smartphone", phone, ()),
    "electronics/audio": ("headphones", headphones, ()),
    "electronics/cameras": ("camera", camera, ("Black", "Silver", "Space Grey")),
    "home/kitchen": ("frying pan", frying_pan, ()),
    "home/furniture": ("armchair", armchair, ()),
    "home/lighting": ("desk lamp", desk_lamp, ()),
    "fashion/shoes/running": ("running shoe", running_shoe, ()),
    "fashion/shoes/boots": ("boot", boot, ()),
    "fashion/men/shirts": ("shirt", shirt, ()),
    "fashion/women/dresses": ("dress", dress, ()),
    "fashion/outerwear": ("jacket", jacket, ()),
    "sports/cycling": ("cycling helmet", helmet, ()),
    "sports/fitness": ("kettlebell", kettlebell, ()),
    "books/fiction": ("book", book, ("Red", "Navy", "Green", "Sand", "Purple", "Teal")),
    "toys/building": ("building bricks", bricks, ("Red", "Blue", "Yellow", "Green")),
    "beauty/skincare": ("skincare bottle", bottle, ("White", "Cream", "Teal", "Sand")),
    "garden/tools": ("garden trowel", trowel, ("Green", "Orange", "Red")),
}
