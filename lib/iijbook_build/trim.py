"""The theme's stylesheet and icon fonts, cut down to what the book's pages use.

The theme's stylesheet (0.40 MB) carries all of Bootstrap and a rule for each of Font
Awesome's 1,881 icon names; its icon font (0.16 MB) some 1,400 glyphs. The pages use a
fraction of either. After each build this module keeps each stylesheet rule that could
match: one whose class names all occur in the site's pages or scripts (a script may add a
class later, so every word in every script counts). Rules without classes (elements,
attributes, ``html[data-theme=dark]``) and at-rules such as ``@font-face`` stay. Each web
font is then written with only the glyphs the remaining rules draw.

>>> css = '.fa-bars:before{content:"\\\\f0c9"}.fa-moon:before{content:"\\\\f186"}a{color:red}'
>>> purge_css(css, {"fa-bars"})
'.fa-bars:before{content:"\\\\f0c9"}a{color:red}'
>>> purge_css('@media (min-width:960px){.navbar{top:0}.card{top:1px}}', {"navbar"})
'@media (min-width:960px){.navbar{top:0}}'
>>> sorted(hex(c) for c in _codepoints(purge_css(css, {"fa-bars"})))
['0xf0c9']
>>> sorted(_codepoints('.fa-plus:before{content:"\\\\+"}'))
[43]
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

THEME_CSS = Path("_static") / "styles" / "pydata-sphinx-theme.css"
FONTS = Path("_static") / "vendor" / "fontawesome" / "webfonts"

_CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
_FUNCTIONAL = re.compile(r":(?:not|is|where|has)\([^()]*\)")
_WORD = re.compile(r"-?[_a-zA-Z][\w-]*")
_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6}) ?|(.))", re.S)
#: Classes Bootstrap builds at run time from a template (``bs-${name}-auto``), so no page or
#: script spells them out: the tooltips' and popovers' placements.
_BUILT_AT_RUN_TIME = ("bs-tooltip-", "bs-popover-")
#: A comment the stylesheet must keep: Bootstrap's and Font Awesome's licence notices.
_NOTICE = re.compile(r"/\*!.*?\*/", re.S)
#: At-rules whose block holds rules (kept when any rule inside is kept); others are kept whole.
_GROUPING = ("@media", "@supports", "@layer", "@container")


def _block_end(css: str, start: int) -> int:
    """Index just past the ``}`` that closes the block opened at ``css[start] == "{"``."""
    depth, i, quote = 0, start, ""
    while i < len(css):
        ch = css[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(css)


def _selector_kept(selector: str, known: set[str]) -> bool:
    classes = _CLASS.findall(_FUNCTIONAL.sub("", selector))
    return all(name in known or name.startswith(_BUILT_AT_RUN_TIME) for name in classes)


def purge_css(css: str, known: set[str]) -> str:
    """The stylesheet with only the rules whose selectors could match, given the known class names."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    out: list[str] = []
    i = 0
    while i < len(css):
        brace = css.find("{", i)
        if brace < 0:
            break
        prelude = css[i:brace].strip()
        if prelude.startswith("@") and ";" in prelude:  # @charset/@import before a block
            head, _, prelude = prelude.rpartition(";")
            out.append(head + ";")
            prelude = prelude.strip()
        end = _block_end(css, brace)
        body = css[brace + 1 : end - 1]
        if prelude.startswith(_GROUPING):
            inner = purge_css(body, known)
            if inner:
                out.append(f"{prelude}{{{inner}}}")
        elif prelude.startswith("@"):
            out.append(css[i:end].strip())
        else:
            selectors = [s for s in _split_selectors(prelude) if _selector_kept(s, known)]
            if selectors:
                out.append(f"{','.join(selectors)}{{{body}}}")
        i = end
    return "".join(out)


def _split_selectors(prelude: str) -> list[str]:
    """Split a selector list at its top-level commas (not those inside ``:is(...)``)."""
    parts, depth, start = [], 0, 0
    for k, ch in enumerate(prelude):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(prelude[start:k])
            start = k + 1
    parts.append(prelude[start:])
    return [p.strip() for p in parts if p.strip()]


def _codepoints(css: str) -> set[int]:
    """Every character in a string of ``css``, written as an escape (``"\\f0c9"``, ``"\\+"``) or as
    itself: a ``content`` value, or a variable one takes (``--pst-icon-lightbulb``). Most icons
    are private-use code points; a few are plain characters (``fa-plus`` is ``+``)."""
    points: set[int] = set()
    for value in re.findall(r'"([^"]*)"', css):
        for hexa, char in _ESCAPE.findall(value):
            points.add(int(hexa, 16) if hexa else ord(char))
        points.update(ord(ch) for ch in _ESCAPE.sub("", value))
    return {p for p in points if p >= 0x20}


def known_classes(files: Iterable[Path]) -> set[str]:
    """Every word in the given pages and scripts: a superset of the class names they use."""
    known: set[str] = set()
    for path in files:
        known.update(_WORD.findall(path.read_text(encoding="utf-8", errors="replace")))
    return known


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


def trim_theme(site: Path) -> dict[str, int]:
    """Cut the site's theme stylesheet and icon fonts down to what its pages use.

    Always starts from the theme's own files, so a second build gives the same result.
    Returns the new sizes in bytes, by file name.
    """
    site = Path(site)
    static = _theme_static()
    css_target = site / THEME_CSS
    if not css_target.exists():
        return {}
    # the theme's icon script is left out of the pages (sphinxext), so its words do not count
    scripts = [p for p in (site / "_static").rglob("*.js") if p.name != "fontawesome.js"]
    known = known_classes(list(site.rglob("*.html")) + scripts)
    source = (static / "styles" / css_target.name).read_text(encoding="utf-8")
    notices = "\n".join(dict.fromkeys(_NOTICE.findall(source)))
    css = purge_css(source, known)
    css_target.write_text(f"{notices}\n{css}\n" if notices else css + "\n", encoding="utf-8")
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
