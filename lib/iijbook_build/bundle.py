"""The local Vega bundle: Vega, Vega-Lite, Vega-Embed and ``draw.js``, one script with no network.

The build writes it into its staged book's ``_static/vega/``; each chart that :mod:`iijbook.render`
writes hands its spec to ``iijbookDraw`` (``draw.js``). vl-convert-python bundles with no network
in about 4 CPU seconds, so the first build keeps the bundle in the environment, named by what it
is made from, and every later build, a cold one too, copies it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

BUNDLE_PATH = Path("vega") / "vega-bundle.js"
DRAW_SCRIPT = Path(__file__).with_name("draw.js")


def bundle_text() -> str:
    """The bundle as a classic script: vl-convert's ES module (no imports or exports left) in a
    function, so its names stay private and it loads from ``file://``, which refuses modules."""
    import altair as alt
    import vl_convert as vlc

    # Module names, not downloads: the bundler serves these addresses from its own copies and
    # refuses any other (tests/test_render.py). It imports Vega-Embed as ``vegaEmbed`` itself.
    snippet = (
        f'import * as vega from "https://cdn.jsdelivr.net/npm/vega@{vlc.get_vega_version()}/+esm";\n'
        f'import * as vegaLite from "https://cdn.jsdelivr.net/npm/vega-lite@{alt.VEGALITE_VERSION}/+esm";\n'
    ) + DRAW_SCRIPT.read_text(encoding="utf-8")
    module = vlc.javascript_bundle(snippet, vl_version=".".join(alt.VEGALITE_VERSION.split(".")[:2]))
    header = f"/* Vega {vlc.get_vega_version()}, Vega-Lite {alt.VEGALITE_VERSION} */\n"
    return header + "(function () {\n" + module + "\n})();\n"


def kept(name: str, make: Callable[[], bytes], whole: Callable[[bytes], bool]) -> bytes:
    """What ``make()`` gives, kept in the environment under ``name`` (which names all it depends
    on) for every later build, cold ones too; a kept copy that is not ``whole`` is made again."""
    path = Path(sys.prefix) / "share" / "iijbook" / name
    with contextlib.suppress(OSError):
        if whole(blob := path.read_bytes()):
            return blob
    blob = make()
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(blob)
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)
    return blob


def write_bundle(static_dir: Path) -> Path:
    """Write the bundle under ``static_dir``, unless the same bundle is there already; whatever
    else stands at its name (a link, a pipe, a bundle cut short or of other versions) is replaced."""
    stamp = f"{metadata.version('altair')} {metadata.version('vl-convert-python')}".encode()
    digest = hashlib.sha256(stamp + DRAW_SCRIPT.read_bytes() + Path(__file__).read_bytes()).hexdigest()
    blob = kept(
        f"vega-bundle-{digest[:16]}.js", lambda: bundle_text().encode(), lambda b: b.endswith(b"})();\n")
    )
    target = Path(static_dir) / BUNDLE_PATH
    if target.is_symlink() or not target.is_file() or target.read_bytes() != blob:
        target.unlink(missing_ok=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(blob)
    return target
