"""The layout's rules, checked on the source: data walks one way and every room has one job.

- ``ingest/`` (the stages' logic) imports none of ``warehouse/``, ``pipeline/``, ``flows/`` or
  Prefect; ``warehouse/`` (the SQL) imports no ``pipeline/``, ``flows/`` or Prefect;
  ``pipeline/`` (the engine) imports no ``flows/`` or Prefect. Only ``flows/`` wires Prefect;
  ``cli/`` (the command) starts flows and imports nothing of Prefect itself, and no package
  below it imports ``cli/``.
- No SQL statement in ``cli/``, ``flows/`` or ``pipeline/``: SQL lives in ``warehouse/``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from conftest import ROOT

FORBIDDEN = {
    "ingest": ("warehouse", "pipeline", "flows", "cli", "prefect", "prefect_dask"),
    "warehouse": ("pipeline", "flows", "cli", "prefect", "prefect_dask"),
    "pipeline": ("flows", "cli", "prefect", "prefect_dask"),
    "flows": ("cli",),
    "cli": ("prefect", "prefect_dask"),
}
SQL = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|BEGIN|COMMIT|ROLLBACK|CHECKPOINT|SET|"
    r"RESET|COPY|ATTACH|INSTALL|LOAD|WITH)\b",
)


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).glob("*.py"))


def imported(path: Path) -> set[str]:
    """Top-level names of every module ``path`` imports, at any depth of the file."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_walk_one_way(package: str) -> None:
    crossing = {
        f"{path.parent.name}/{path.name}": sorted(imported(path) & set(FORBIDDEN[package]))
        for path in modules(package)
    }
    assert {k: v for k, v in crossing.items() if v} == {}


def test_the_rule_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    """The check itself: a late import counts as much as one at the top."""
    path = tmp_path / "late.py"
    path.write_text("def f():\n    from prefect import task\n    import flows.nightly\n")
    assert imported(path) == {"prefect", "flows"}


@pytest.mark.parametrize("package", ["cli", "flows", "pipeline"])
def test_no_sql_outside_the_warehouse(package: str) -> None:
    statements = [
        f"{path.name}:{node.lineno}: {node.value[:40]!r}"
        for path in modules(package)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and SQL.match(node.value)
        and not node.value.rstrip().endswith(".")  # prose (a docstring) that starts so
    ]
    assert statements == []
