"""The local Vega bundle the book's charts draw with: Vega, Vega-Lite and the book's drawing code.

The build writes it into the book's ``_static/vega/`` (jupyter-book links every
script there into each page); the renderer in :mod:`iijbook.render` calls the
``iijbookDraw`` it defines (``draw.js`` beside this module: it compiles a chart, draws it as
SVG and fits it to its column). vl-convert-python builds it, with no network. Vega-Embed is
left out: it would add 0.27 MB for a menu of actions and styled tooltips the book does not use.
"""

from __future__ import annotations

import shutil
from pathlib import Path

BUNDLE_PATH = Path("vega") / "vega-bundle.js"

#: The book's drawing code: defines ``window.iijbookDraw`` and announces ``vega-ready``.
DRAW_SCRIPT = Path(__file__).with_name("draw.js")


def _draw_digest() -> str:
    import hashlib

    # this module's own text too: it chooses what goes into the bundle
    return hashlib.sha256(DRAW_SCRIPT.read_bytes() + Path(__file__).read_bytes()).hexdigest()[:12]


def _bundle_stamp() -> str:
    """The versions the bundle is built from, read without importing them (cheap)."""
    from importlib import metadata

    return (
        f"altair {metadata.version('altair')}, vl-convert-python {metadata.version('vl-convert-python')}, "
        f"draw.js {_draw_digest()}"
    )


def _bundle_header() -> str:
    import altair as alt
    import vl_convert as vlc

    return f"/* Vega {vlc.get_vega_version()}, Vega-Lite {alt.VEGALITE_VERSION}; {_bundle_stamp()} */\n"


def bundle_text() -> str:
    """The JavaScript of the local bundle (Vega, Vega-Lite, the drawing code) as one classic script.

    vl-convert writes an ES module; it has no imports or exports, so wrapping it in a
    function makes a classic script whose names stay private (Sphinx's own scripts
    declare globals such as ``_``), and that loads from ``file://`` too, where
    browsers refuse module scripts.
    """
    import altair as alt
    import vl_convert as vlc

    major_minor = ".".join(alt.VEGALITE_VERSION.split(".")[:2])
    # Module names, not downloads: vl-convert's bundler serves each of these addresses from the
    # copy of the module compiled into it, and refuses any address it does not carry (it has no
    # network access to fall back on; tests/test_render.py checks both). Its own snippet names for
    # Vega and Vega-Lite are default imports, which those modules lack, hence these two lines.
    # The bundle that comes out holds no address and no import.
    imports = (
        f'import * as vega from "https://cdn.jsdelivr.net/npm/vega@{vlc.get_vega_version()}/+esm";\n'
        f'import * as vegaLite from "https://cdn.jsdelivr.net/npm/vega-lite@{alt.VEGALITE_VERSION}/+esm";\n'
    )
    snippet = imports + DRAW_SCRIPT.read_text(encoding="utf-8")
    module = vlc.javascript_bundle(snippet, vl_version=major_minor)
    return _bundle_header() + "(function () {\n" + module + "\n})();\n"


def write_bundle(static_dir: Path) -> Path:
    """Write the bundle under ``static_dir`` unless one for the same versions is there.

    Building the bundle takes about a second, so a bundle whose first line names the
    installed versions, and that ends as a whole bundle does, is kept as it is.
    """
    target = Path(static_dir) / BUNDLE_PATH
    if target.is_symlink() or (target.exists() and not target.is_file()):
        # the bundle is generated: whatever else stands at its name (a link, a pipe) goes
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            target.unlink()
    elif target.exists():
        with open(target, encoding="utf-8") as fh:
            same_versions = fh.readline().endswith(f"; {_bundle_stamp()} */\n")
        if same_versions and target.read_bytes().endswith(b"})();\n"):
            return target
    text = bundle_text()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return target
