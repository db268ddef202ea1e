"""The theme's stylesheet and icon font, cut down to what the book's pages use.

The stylesheet (66 KB sent) holds all of Bootstrap and a rule for each of Font Awesome's 1,881
icons, the font (0.16 MB) 1,400 glyphs: uncut, a chapter's first visit would send 630 KB, not
430. No library prunes CSS by a site's words, so this keeps each rule whose class names all
occur in the pages or scripts (any word of a script, which may add a class later), and rules
without classes; tinycss2 parses it, and fontTools keeps the glyphs the kept rules draw. Both
take a second and a half a render, so each result is kept in the environment (as the Vega bundle
is), named by all it depends on: the theme's files and the words of the site that occur in them.

>>> css = '.fa-bars:before{content:"x"}.fa-moon:before{content:"y"}a{color:red}'
>>> purge_css(css, {"fa-bars"})
'.fa-bars:before{content:"x"}a{color:red}'
>>> purge_css('@media (min-width:960px){.navbar{top:0}.card{top:1px}}', {"navbar"})
'@media (min-width:960px){.navbar{top:0}}'
>>> sorted(_codepoints('.fa-bars:before{content:"\\\\f0c9"}.fa-plus:before{content:"\\\\+"}'))
[43, 61641]
"""

from __future__ import annotations

import hashlib
import re
from itertools import groupby
from pathlib import Path

import tinycss2
from tinycss2.ast import IdentToken, Node

from .bundle import kept

THEME_CSS = Path("_static") / "styles" / "pydata-sphinx-theme.css"
FONTS = Path("_static") / "vendor" / "fontawesome" / "webfonts"

_WORD = re.compile(r"-?[_a-zA-Z][\w-]*")
_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6}) ?|(.))", re.S)
#: Classes Bootstrap builds at run time from a template (``bs-${name}-auto``): tooltip placements.
_BUILT_AT_RUN_TIME = ("bs-tooltip-", "bs-popover-")
_GROUPING = ("media", "supports", "layer", "container")  # at-rules that hold rules


def _kept(selector: list[Node], known: set[str]) -> bool:
    """Whether every class the selector names (but in ``:not(...)`` and the like) is known."""
    pairs = zip(selector, selector[1:], strict=False)
    classes = [b.value for a, b in pairs if a == "." and isinstance(b, IdentToken)]
    return all(name in known or name.startswith(_BUILT_AT_RUN_TIME) for name in classes)


def purge_css(css: str, known: set[str]) -> str:
    """The stylesheet with only the rules whose selectors could match, given the known class names;
    licence notices (``/*! ... */``) kept."""
    out = []
    for rule in tinycss2.parse_stylesheet(css, skip_whitespace=True):
        if rule.type == "comment" and rule.value.startswith("!") and f"/*{rule.value}*/" not in out:
            out.append(f"/*{rule.value}*/")
        elif rule.type == "qualified-rule":
            # the selectors, split at the commas of the list (those in ``:is(...)`` are a function's)
            selectors = [list(s) for comma, s in groupby(rule.prelude, lambda t: t == ",") if not comma]
            kept = [tinycss2.serialize(s).strip() for s in selectors if _kept(s, known)]
            if kept:
                out.append(f"{','.join(kept)}{{{tinycss2.serialize(rule.content)}}}")
        elif rule.type == "at-rule" and rule.lower_at_keyword in _GROUPING and rule.content:
            if inner := purge_css(tinycss2.serialize(rule.content), known):
                out.append(f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}{{{inner}}}")
        elif rule.type == "at-rule":
            out.append(rule.serialize())
    return "".join(out)


def _codepoints(css: str) -> set[int]:
    """Every character in a string of ``css``, as an escape (``"\\f0c9"``, ``"\\+"``) or as itself:
    a ``content`` value, or a variable one takes (``--pst-icon-lightbulb``)."""
    points: set[int] = set()
    for value in re.findall(r'"([^"]*)"', css):
        points.update(int(hexa, 16) if hexa else ord(char) for hexa, char in _ESCAPE.findall(value))
        points.update(ord(ch) for ch in _ESCAPE.sub("", value))
    return {p for p in points if p >= 0x20}


def trim_theme(site: Path) -> None:
    """Cut the site's theme stylesheet and icon fonts down to what its pages use, always from the
    theme's own files, so that a second build gives the same bytes."""
    import pydata_sphinx_theme

    static = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
    if not (site / THEME_CSS).exists():
        return
    # the theme's icon script is left out of the pages (sphinxext), so its words do not count
    scripts = [p for p in (site / "_static").rglob("*.js") if p.name != "fontawesome.js"]
    texts = (p.read_text(errors="replace") for p in [*site.rglob("*.html"), *scripts])
    theme = (static / "styles" / THEME_CSS.name).read_text(encoding="utf-8")
    known = set(_WORD.findall("".join(texts))) & set(_WORD.findall(theme))  # all the cut depends on
    key = hashlib.sha256("\n".join([theme, *sorted(known)]).encode()).hexdigest()[:20]
    css = kept(
        f"trim/{key}.css", lambda: (purge_css(theme, known) + "\n").encode(), lambda b: b.endswith(b"}\n")
    )
    (site / THEME_CSS).write_bytes(css)
    sheets = "".join(p.read_text(errors="replace") for p in (site / "_static").rglob("*.css"))
    unicodes = "--unicodes=" + ",".join(f"{p:x}" for p in sorted(_codepoints(sheets)))
    for font in (static / FONTS.relative_to("_static")).glob("*.woff2"):
        if (site / FONTS).is_dir():
            digest = hashlib.sha256(font.read_bytes() + unicodes.encode()).hexdigest()[:20]
            blob = kept(f"trim/{digest}-{font.name}", lambda font=font: _subset(font, unicodes), _whole_woff2)
            (site / FONTS / font.name).write_bytes(blob)


def _whole_woff2(blob: bytes) -> bool:
    """A WOFF2 font says its length in its header."""
    return blob[:4] == b"wOF2" and int.from_bytes(blob[8:12], "big") == len(blob)


def _subset(font: Path, unicodes: str) -> bytes:
    """The glyphs of ``unicodes`` (fontTools' ``--unicodes=...``) of ``font``, as WOFF2."""
    import tempfile

    from fontTools import subset

    with tempfile.TemporaryDirectory() as tmp:
        subset.main([str(font), unicodes, "--flavor=woff2", f"--output-file={tmp}/{font.name}"])
        return Path(tmp, font.name).read_bytes()
