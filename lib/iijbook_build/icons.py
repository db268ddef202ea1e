"""The theme's icons, cut down to the ones the book's pages show.

The theme draws its icons (search, menu, light and dark mode, full screen) from the Font
Awesome web font, 0.16 MB for some 1,400 glyphs, and its stylesheet maps all 1,881 icon
names to them (86 KB). The pages use about twenty. After each build this module keeps the
stylesheet rules for the icon names that occur in the site's pages and scripts, and writes
each web font with only the glyphs those rules, and any other stylesheet rule, draw.

>>> css = '.fa-bars:before{content:"\\\\f0c9"}.fa-moon:before{content:"\\\\f186"}a{color:red}'
>>> _trim_map(css, {"fa-bars"})
'.fa-bars:before{content:"\\\\f0c9"}a{color:red}'
>>> sorted(hex(c) for c in _codepoints(_trim_map(css, {"fa-bars"})))
['0xf0c9']
"""

from __future__ import annotations

import re
from pathlib import Path

#: One rule of the stylesheet's name-to-glyph map, e.g. ``.fa-bars:before{content:"\f0c9"}``
#: (several names may share a rule).
_MAP_RULE = re.compile(r'((?:\.fa-[a-z0-9-]+:before,?)+)\{content:"([^"]*)"\}')
_NAME = re.compile(r"fa-[a-z0-9-]+")
_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6}) ?")

THEME_CSS = Path("_static") / "styles" / "pydata-sphinx-theme.css"
FONTS = Path("_static") / "vendor" / "fontawesome" / "webfonts"


def _trim_map(css: str, used: set[str]) -> str:
    """The stylesheet without the map rules for icon names no page uses."""

    def keep(match: re.Match[str]) -> str:
        names = set(_NAME.findall(match.group(1)))
        return match.group(0) if names & used else ""

    return _MAP_RULE.sub(keep, css)


def _codepoints(css: str) -> set[int]:
    """Every private-use code point (Font Awesome's range) that a ``content`` value in ``css`` draws."""
    points: set[int] = set()
    for value in re.findall(r'content:\s*"([^"]*)"', css):
        for escape in _ESCAPE.findall(value):
            point = int(escape, 16)
            if point >= 0xE000:
                points.add(point)
    return points


def _used_names(site: Path) -> set[str]:
    """Icon names that occur in the site's pages and scripts (not in the theme's icon script)."""
    names: set[str] = set()
    for path in list(site.rglob("*.html")) + list((site / "_static").rglob("*.js")):
        if path.name in ("fontawesome.js", "vega-bundle.js") or "vendor" in path.parts:
            continue
        names.update(_NAME.findall(path.read_text(encoding="utf-8", errors="replace")))
    return names


def _theme_static() -> Path:
    import pydata_sphinx_theme

    return Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"


def _subset_font(source: Path, target: Path, points: set[int]) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(source, recalcTimestamp=False)
    options = subset.Options()
    options.flavor = "woff2"
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=points)
    subsetter.subset(font)
    font.flavor = "woff2"
    tmp = target.with_suffix(".tmp")
    font.save(tmp)
    tmp.replace(target)


def trim_icons(site: Path) -> dict[str, int]:
    """Cut the site's icon stylesheet and web fonts down to the icons its pages use.

    Always starts from the theme's own files, so a second build gives the same result.
    Returns the new sizes in bytes, by file name.
    """
    site = Path(site)
    static = _theme_static()
    css_target = site / THEME_CSS
    if not css_target.exists():
        return {}
    css = _trim_map((static / "styles" / css_target.name).read_text(encoding="utf-8"), _used_names(site))
    # the source map would name rules that are no longer there
    css = re.sub(r"/\*# sourceMappingURL=[^*]*\*/\s*$", "", css)
    css_target.write_text(css, encoding="utf-8")
    sizes = {css_target.name: css_target.stat().st_size}
    points = set()
    for sheet in (site / "_static").rglob("*.css"):
        points |= _codepoints(sheet.read_text(encoding="utf-8", errors="replace"))
    for font in sorted((static / "vendor" / "fontawesome" / "webfonts").glob("*.woff2")):
        target = site / FONTS / font.name
        if target.parent.is_dir():
            _subset_font(font, target, points)
            sizes[font.name] = target.stat().st_size
    return sizes
