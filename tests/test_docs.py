"""The documents that promise things the code must keep: the README's settings table and the
warehouse's tables and columns in docs/sql.md."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from conftest import ROOT

from ingest.settings import readme_with_table
from warehouse.db import connect

PACKAGES = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"][
    "targets"
]["wheel"]["packages"]


def test_readme_settings_table_is_the_settings_object() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_with_table(readme) == readme, (
        "README.md's settings table differs from ingest/settings.py: "
        "run `.venv/bin/python -m ingest.settings --readme`"
    )


def sections() -> dict[str, str]:
    text = (ROOT / "docs" / "sql.md").read_text(encoding="utf-8")
    return {part.split()[0]: part for part in re.split(r"^## ", text, flags=re.M)[1:]}


def documented(relation: str, parts: dict[str, str]) -> str | None:
    """The text that documents ``relation``: its own section, else the section or the row of
    the views table that names it."""
    if relation in parts:
        return parts[relation]
    for text in parts.values():
        for row in text.splitlines():
            if row.startswith("|") and f"`{relation}`" in row.split("|")[1]:
                return row
        listed = re.search(rf"`{relation}\(([^)]*)\)`", text)
        if listed:
            return " ".join(f"`{c.strip()}`" for c in listed.group(1).split(","))
    return None


def test_docs_sql_documents_every_column_of_the_schema(tmp_path: Path) -> None:
    """docs/sql.md is the warehouse's contract: every table and view of the schema a fresh
    warehouse gets (after every migration) is there with each of its columns."""
    con = connect(tmp_path / "w.duckdb")
    live: dict[str, list[str]] = {}
    for relation, column in con.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
    ).fetchall():
        live.setdefault(relation, []).append(column)
    con.close()
    parts = sections()
    missing = {}
    for relation, columns in live.items():
        text = documented(relation, parts)
        if text is None:
            missing[relation] = ["(the table itself)"]
            continue
        absent = [c for c in columns if f"`{c}`" not in text]
        if absent:
            missing[relation] = absent
    assert not missing, f"docs/sql.md lacks: {missing}"


def test_the_readme_layout_names_every_module() -> None:
    """Every module of every package the wheel ships, so a newcomer finds it from the README."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    unnamed = [
        str(path.relative_to(ROOT))
        for folder in PACKAGES
        for path in sorted((ROOT / folder).rglob("*.py"))
        if not path.stem.startswith("__") and not re.search(rf"\b{path.stem}\b", layout)
    ]
    assert unnamed == []


def test_the_readme_counts_the_default_feeds_and_their_languages() -> None:
    import tomllib

    feeds = tomllib.loads((ROOT / "deployments" / "feeds.toml").read_text())["feeds"]
    languages = {t for f in feeds for t in f.get("tags", []) if len(t) == 2}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"({len(feeds)} international feeds in {len(languages)} languages)" in readme


def test_every_shipped_default_is_packaged_in_the_wheel() -> None:
    """An installed newsdesk has no repository: each default the code names with
    ``shipped(...)`` must be force-included where ``shipped`` looks for it then."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    included = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    named = {
        m.group(1)
        for folder in PACKAGES
        for path in (ROOT / folder).rglob("*.py")
        for m in re.finditer(r'shipped\("([^"]+)"\)', path.read_text(encoding="utf-8"))
    }
    assert named >= {"deployments/feeds.toml", "deployments/prefect.yaml", "seeds"}
    for relative in named:
        top = relative.split("/", 1)[0]
        assert included.get(top) == f"ingest/defaults/{top}", relative
        assert (ROOT / relative).exists(), relative


def test_outside_a_checkout_the_packaged_defaults_are_used(tmp_path: Path, monkeypatch) -> None:
    from ingest import settings

    packaged = tmp_path / "site" / "ingest" / "defaults"
    (packaged / "deployments").mkdir(parents=True)
    (packaged / "deployments" / "feeds.toml").write_text("")
    monkeypatch.setattr(settings, "PROJECT_ROOT", tmp_path / "site")
    monkeypatch.setattr(settings, "PACKAGED", packaged)
    assert settings.Settings().feeds == packaged / "deployments" / "feeds.toml"
    monkeypatch.setattr(settings, "PROJECT_ROOT", ROOT)
    assert settings.Settings().feeds == ROOT / "deployments" / "feeds.toml"
