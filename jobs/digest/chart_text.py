"""An Agg canvas that remembers laid-out text and rasterized glyphs between charts.

Most of a digest chart's drawing time is text: matplotlib's Agg renderer shapes every string
and asks FreeType for every glyph on every draw, though a chart repeats the same few dates,
tick labels and titles. Here the layout of a string and the bitmap of a glyph at a sub-pixel
offset are kept (bounded), so the pixels are exactly the ones matplotlib draws.

It leans on matplotlib 3.11's RendererAgg internals (`_draw_text_glyphs_and_boxes`,
`FT2Font._layout`/`_render_glyph`); without them `caching_canvas` gives the stock canvas.
"""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

# Bounds on what is kept: a chart has a few hundred glyphs and well under a hundred strings.
MAX_LAYOUTS = 4096
MAX_GLYPHS = 16384


def caching_canvas(figure: Figure) -> FigureCanvasAgg:
    """Attach an Agg canvas to `figure` whose renderer keeps text layouts and glyph bitmaps."""
    agg: Any = importlib.import_module("matplotlib.backends.backend_agg")
    if not hasattr(agg.RendererAgg, "_draw_text_glyphs_and_boxes"):  # another matplotlib
        canvas: FigureCanvasAgg = agg.FigureCanvasAgg(figure)
    else:
        canvas = _canvas_class()(figure)
    return canvas


@functools.cache
def _canvas_class() -> Any:
    """The canvas class, made on first use: matplotlib is imported only to draw."""
    agg: Any = importlib.import_module("matplotlib.backends.backend_agg")

    class CachingRenderer(agg.RendererAgg):  # type: ignore[misc]
        def draw_text(  # type: ignore[no-untyped-def]
            self, gc, x, y, s, prop, angle, ismath=False, mtext=None
        ) -> None:
            if ismath or angle or not gc.get_antialiased() or mtext is None:
                super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
            else:
                _draw_text(self, gc, x, y, s, prop, mtext)

    class CachingCanvas(agg.FigureCanvasAgg):  # type: ignore[misc]
        def get_renderer(self) -> Any:
            w, h = self.get_width_height(physical=True)
            key = w, h, self.figure.dpi
            if getattr(self, "_lastKey", None) != key:
                self.renderer = CachingRenderer(w, h, self.figure.dpi)
                self._lastKey = key
            return self.renderer

    return CachingCanvas


_LAYOUTS: dict[tuple[Any, ...], tuple[tuple[Any, int, float, float], ...]] = {}
_GLYPHS: dict[tuple[Any, ...], tuple[Any, int, int]] = {}


def _draw_text(renderer: Any, gc: Any, x: float, y: float, s: str, prop: Any, mtext: Any) -> None:
    """What RendererAgg.draw_text draws for unrotated, antialiased plain text, from the caches."""
    agg: Any = importlib.import_module("matplotlib.backends.backend_agg")
    flags = agg.get_hinting_flag()
    features, language = mtext.get_fontfeatures(), mtext.get_language()
    size = prop.get_size_in_points()
    key = (hash(prop), s, size, renderer.dpi, flags, features, language)
    items = _LAYOUTS.get(key)
    if items is None:
        font = renderer._prepare_font(prop)
        laid_out = font._layout(s, flags=flags, features=features, language=language)
        items = tuple((i.ft_object, i.glyph_index, i.x, i.y) for i in laid_out)
        if len(_LAYOUTS) >= MAX_LAYOUTS:
            _LAYOUTS.clear()
        _LAYOUTS[key] = items
    height = int(renderer.height)
    for font, index, dx, dy in items:
        # FreeType's 26.6 pen position: whole pixels only shift the bitmap, the rest shapes it.
        px, py = round(0x40 * (x + dx)), round(0x40 * (renderer.height - y + dy))
        buffer, left, top = _glyph(font, size, renderer.dpi, index, px & 0x3F, py & 0x3F, flags)
        renderer._renderer.draw_text_image(
            buffer, left + (px >> 6), height - (top + (py >> 6)) + buffer.shape[0], 0, gc
        )


def _glyph(font: Any, size: float, dpi: float, index: int, fx: int, fy: int, flags: Any) -> Any:
    """The glyph's antialiased bitmap at a sub-pixel offset, with its left and top."""
    key = (font, size, dpi, index, fx, fy, flags)
    glyph = _GLYPHS.get(key)
    if glyph is None:
        mode = importlib.import_module("matplotlib.ft2font").RenderMode.NORMAL
        font.set_size(size, dpi)
        font._set_transform([[0x10000, 0], [0, 0x10000]], [fx, fy])
        bitmap = font._render_glyph(index, flags, mode)
        glyph = (bitmap.buffer.copy(), bitmap.left, bitmap.top)
        if len(_GLYPHS) >= MAX_GLYPHS:
            _GLYPHS.clear()
        _GLYPHS[key] = glyph
    return glyph
