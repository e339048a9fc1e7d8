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
# A statement in upper case (the project's style), or one in any case shaped as SQL is: prose
# such as "drop and rebuild the whole index" has none of these shapes.
SQL = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|BEGIN|COMMIT|ROLLBACK|CHECKPOINT|SET|"
    r"RESET|COPY|ATTACH|INSTALL|LOAD|WITH)\b"
    r"|^\s*(?i:select\b.+\bfrom|insert\s+into|update\s+\w+\s+set|delete\s+from"
    r"|(create|drop|alter)\s+(or\s+replace\s+)?(temp\s+)?(table|view|index|schema|sequence)"
    r"|begin(\s+transaction)?\s*;?\s*$|commit\s*;?\s*$|checkpoint\s*;?\s*$)",
)


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


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


def test_crash_points_stand_in_the_engine_not_in_the_warehouse() -> None:
    """A crash point is a place in a night's run; the warehouse gets a callback instead."""
    importing = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "warehouse").rglob("*.py"))
        if "ingest.faults" in path.read_text(encoding="utf-8")
    ]
    assert importing == []


@pytest.mark.parametrize(
    ("text", "sql"),
    [
        ("select title from articles", True),
        ("CHECKPOINT", True),
        ("create or replace temp table x as select 1", True),
        ("drop and rebuild the whole index", False),
        ("Select the feeds to fetch.", False),
    ],
)
def test_the_sql_rule_knows_a_statement_from_prose(text: str, sql: bool) -> None:
    assert bool(SQL.match(text)) is sql


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


# The size limits of the layout: a module a newcomer can read whole, a function that fits on a
# screen. The country-name tables are data, not code.
PACKAGES = ("cli", "flows", "ingest", "pipeline", "warehouse")
DATA_MODULES = {"ingest/gazetteer.py"}
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 60
LIMITS = {"flows/nightly.py": 300}
REPEAT_LINES = 6


def sources() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def test_no_module_is_longer_than_its_limit() -> None:
    long = {
        name: lines
        for path in sources()
        if (name := str(path.relative_to(ROOT))) not in DATA_MODULES
        and (lines := len(path.read_text(encoding="utf-8").splitlines()))
        > LIMITS.get(name, MAX_MODULE_LINES)
    }
    assert long == {}


def test_no_function_is_longer_than_a_screen() -> None:
    long = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)"
        for path in sources()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (length := (node.end_lineno or node.lineno) - node.lineno + 1) > MAX_FUNCTION_LINES
    ]
    assert long == []


def repeated_blocks(files: dict[str, str], size: int = REPEAT_LINES) -> list[str]:
    """Places where ``size`` consecutive lines of code (blank lines, comments and lines of
    brackets alone left out) stand again, the same to the letter once indentation is ignored."""
    first: dict[tuple[str, ...], str] = {}
    found = []
    for name, text in files.items():
        lines = [
            (number, line.strip())
            for number, line in enumerate(text.splitlines(), 1)
            if line.strip() and not line.strip().startswith("#") and re.search(r"\w", line)
        ]
        for i in range(len(lines) - size + 1):
            window = tuple(line for _, line in lines[i : i + size])
            place = f"{name}:{lines[i][0]}"
            if window in first:
                found.append(f"{place} repeats {first[window]}")
            else:
                first[window] = place
    return found


def test_the_repeat_check_finds_a_copied_block() -> None:
    block = "".join(f"x{i} = compute({i})\n" for i in range(REPEAT_LINES))
    found = repeated_blocks({"a.py": block, "b.py": "y = 1\n" + block, "c.py": block[:-20]})
    assert found == ["b.py:2 repeats a.py:1"]


def test_no_block_of_code_stands_twice() -> None:
    files = {
        str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
        for path in sources()
        if str(path.relative_to(ROOT)) not in DATA_MODULES
    }
    assert repeated_blocks(files) == []
