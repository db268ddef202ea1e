"""YAML the build reads (a params file, ``_toc.yml``), parsed with a bounded safe loader.

>>> load_yaml("rate: 150\\n", "params file p.yaml")
{'rate': 150}
"""

from __future__ import annotations

from typing import Any

import yaml

from .inputs import InputError, shown

#: How deep a YAML file the build reads may nest (a params file needs 2, ``_toc.yml`` about 6).
YAML_MAX_DEPTH = 32

#: The longest number a YAML file may write (Python refuses ints of over 4300 digits).
YAML_MAX_DIGITS = 100


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, bounded: no aliases, limited depth and digits, no timestamps or base 60.

    Dates stay text (``2002-02-30`` is for the parameter to judge, not for
    PyYAML to fail on); a key given twice is refused rather than overwritten.
    """

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        mark = self.peek_event().start_mark
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed here", mark)
        if self._depth >= YAML_MAX_DEPTH:
            raise yaml.composer.ComposerError(
                None, None, f"nested too deeply (more than {YAML_MAX_DEPTH} levels)", mark
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"{shown(key_node.value)} is given twice", key_node.start_mark
                    )
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)

    def construct_number(self, node: Any) -> Any:
        text = str(node.value)
        if len(text) > YAML_MAX_DIGITS:
            raise yaml.constructor.ConstructorError(
                None, None, f"a number of {len(text)} characters is too long", node.start_mark
            )
        if ":" in text:  # YAML 1.1's base 60 (12:30 is 750): keep the text
            return text
        is_int = node.tag.endswith(":int")
        try:
            return self.construct_yaml_int(node) if is_int else self.construct_yaml_float(node)
        except (ValueError, TypeError):
            kind = "an int" if is_int else "a float"
            raise yaml.constructor.ConstructorError(
                None, None, f"{shown(text)} is not {kind}", node.start_mark
            ) from None


_BoundedLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if not tag.endswith(":timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_BoundedLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)
_BoundedLoader.add_constructor("tag:yaml.org,2002:int", _BoundedLoader.construct_number)
_BoundedLoader.add_constructor("tag:yaml.org,2002:float", _BoundedLoader.construct_number)


def load_yaml(text: str, where: str) -> Any:
    """Parse ``text`` (one YAML document) with the bounded loader; :class:`InputError` if it fails.

    ``where`` names the file in messages.

    >>> load_yaml("cutoff: 2002-02-30\\nrate: 150\\ntime: 12:30\\n", "params file p.yaml")
    {'cutoff': '2002-02-30', 'rate': 150, 'time': '12:30'}
    >>> load_yaml("rate: " + "9" * 5000, "params file p.yaml")
    Traceback (most recent call last):
    ...
    iijbook_build.inputs.InputError: params file p.yaml: ... column 7: a number of 5000 characters is too long
    >>> load_yaml("[" * 100 + "]" * 100, "params file p.yaml")
    Traceback (most recent call last):
    ...
    iijbook_build.inputs.InputError: params file p.yaml: ... column 33: nested too deeply ...
    """
    try:
        return yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 - a SafeLoader, bounded
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{where}: not valid YAML{at}: {problem}") from None
    except RecursionError:
        raise InputError(f"{where}: not valid YAML: nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise InputError(f"{where}: not valid YAML: {shown(str(exc))}") from None
