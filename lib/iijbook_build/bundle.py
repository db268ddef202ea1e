"""The local Vega bundle the book's charts draw with: Vega, Vega-Lite and Vega-Embed as one script.

The build writes it into the book's ``_static/vega/`` (jupyter-book links every
script there into each page); the renderer in :mod:`iijbook.render` calls the
``vegaEmbed`` it defines. vl-convert-python builds it, with no network.
"""

from __future__ import annotations

import shutil
from pathlib import Path

BUNDLE_PATH = Path("vega") / "vega-bundle.js"

_READY_SNIPPET = 'window.vegaEmbed = vegaEmbed;\nwindow.dispatchEvent(new Event("vega-ready"));\n'


def _bundle_stamp() -> str:
    """The versions the bundle is built from, read without importing them (cheap)."""
    from importlib import metadata

    return f"altair {metadata.version('altair')}, vl-convert-python {metadata.version('vl-convert-python')}"


def _bundle_header() -> str:
    import altair as alt
    import vl_convert as vlc

    return (
        f"/* Vega {vlc.get_vega_version()}, Vega-Lite {alt.VEGALITE_VERSION}, "
        f"Vega-Embed {vlc.get_vega_embed_version()}; {_bundle_stamp()} */\n"
    )


def bundle_text() -> str:
    """The JavaScript of the local bundle (Vega, Vega-Lite, Vega-Embed) as one classic script.

    vl-convert writes an ES module; it has no imports or exports, so wrapping it in a
    function makes a classic script whose names stay private (Sphinx's own scripts
    declare globals such as ``_``), and that loads from ``file://`` too, where
    browsers refuse module scripts.
    """
    import altair as alt
    import vl_convert as vlc

    major_minor = ".".join(alt.VEGALITE_VERSION.split(".")[:2])
    module = vlc.javascript_bundle(_READY_SNIPPET, vl_version=major_minor)
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
