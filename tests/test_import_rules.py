"""The layering, read from the imports of every module (ast, so an import inside a function or under
TYPE_CHECKING counts too): plain-Python cores never import Dagster, and no layer reaches up."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import goodseed_dagster

PACKAGE = Path(goodseed_dagster.__file__).resolve().parent
DAGSTER = ("dagster", "dagster_*")

# (layer under goodseed_dagster/, modules it must never import; "x_*" means every x_ top-level package)
RULES: list[tuple[str, tuple[str, ...]]] = [
    ("scraping", (*DAGSTER, "goodseed_dagster.market", "goodseed_dagster.normalize")),
    ("normalize", DAGSTER),
    ("notify", DAGSTER),
    ("alerts", DAGSTER),
    ("market", DAGSTER),  # the simulated market runs without the pipeline
    ("api", ("goodseed_dagster.assets",)),
    ("db", ("goodseed_dagster.api", "goodseed_dagster.assets")),
    ("resources", ("goodseed_dagster.assets",)),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, absolute module) for every import; `from a import b` yields both a and a.b (b may be a module)."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names if alias.name != "*"]
    return found


def forbidden(name: str, banned: tuple[str, ...]) -> bool:
    for rule in banned:
        if rule.endswith("_*"):
            if name.split(".")[0].startswith(rule[:-1]):
                return True
        elif name == rule or name.startswith(rule + "."):
            return True
    return False


def offenders(layer: str, banned: tuple[str, ...]) -> list[str]:
    out = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        module = module_name(path)
        for line, name in imports(path.read_text(encoding="utf-8"), module, path.name == "__init__.py"):
            if forbidden(name, banned):
                out.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}")
    return sorted(set(out))


@pytest.mark.parametrize(("layer", "banned"), RULES, ids=[layer for layer, _ in RULES])
def test_layer_never_imports(layer: str, banned: tuple[str, ...]) -> None:
    assert (PACKAGE / layer).is_dir(), f"goodseed_dagster/{layer}/ is gone: update RULES"
    assert offenders(layer, banned) == []


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ("import dagster", "dagster"),
        ("import dagster_dbt.core as d", "dagster_dbt.core"),
        ("from dagster import asset", "dagster"),
        ("from goodseed_dagster import market", "goodseed_dagster.market"),
        ("from ..market.core import Market", "goodseed_dagster.market.core"),
        ("from .. import normalize", "goodseed_dagster.normalize"),
        ("def f():\n    from goodseed_dagster.normalize.text import x", "goodseed_dagster.normalize.text"),
    ],
)
def test_the_checker_sees_every_form_of_import(source: str, caught: str) -> None:
    names = [name for _, name in imports(source, "goodseed_dagster.scraping.fetch")]
    assert caught in names and any(forbidden(n, RULES[0][1]) for n in names)


def test_the_checker_lets_allowed_imports_through() -> None:
    source = "import dagsterish\nfrom . import urls\nimport marketing\nfrom goodseed_dagster.errors import E"
    names = [name for _, name in imports(source, "goodseed_dagster.scraping.fetch")]
    assert "goodseed_dagster.scraping.urls" in names and "goodseed_dagster.errors.E" in names
    assert not any(forbidden(n, RULES[0][1]) for n in names)
