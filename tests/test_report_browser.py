"""The report as a reader's browser shows it: headless Chromium (Debian's ``chromium``, which
``.ci/run`` installs when it is missing) opens the page from a file, offline, at desktop and
at phone width. A copy of the page with a small probe script reports what the browser built:
the map's country elements, whether each chart image decoded, every error the page raised,
and the page's width. The report itself carries no script."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import make_article, make_mention

from ingest.models import Alert, FeedSpec
from warehouse import store
from warehouse.db import connect
from warehouse.report import build_report

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
BROWSER = next((b for b in map(shutil.which, BROWSERS) if b), None)
pytestmark = pytest.mark.skipif(
    BROWSER is None,
    reason="no headless browser found (looked for chromium, chromium-browser, google-chrome,"
    " chrome on PATH): install Debian's chromium, as .ci/run does",
)
END = datetime(2026, 11, 28, 12, tzinfo=UTC)
# Mentioned by the warehouse's originals: with a shape on the map, and one without (Svalbard).
MENTIONED = {"KE": "Kenya", "CL": "Chile", "IS": "Iceland", "PE": "Peru", "SJ": "Svalbard"}
PROBE = """<script>
window.__errors = [];
addEventListener("error", e => __errors.push(e.message || "failed to load "
  + (e.target && (e.target.src || e.target.href))), true);
const __error = console.error;
console.error = (...a) => { __errors.push(a.join(" ")); __error(...a); };
addEventListener("load", () => { document.title = JSON.stringify({
  countries: [...new Set([...document.querySelectorAll("[data-country]")]
    .map(e => e.dataset.country))],
  drawn: document.querySelectorAll("svg.map [data-country]").length,
  titled: document.querySelectorAll("svg.map [data-country] > title").length,
  images: [...document.images].map(i => [i.complete, i.naturalWidth]),
  errors: __errors,
  width: document.documentElement.scrollWidth,
}); });
</script>"""


def _report(tmp_path: Path) -> Path:
    db = tmp_path / "w.duckdb"
    con = connect(db)
    arts, mentions = [], []
    for i, (code, name) in enumerate(MENTIONED.items()):
        day = END - timedelta(days=i)
        arts.append(
            make_article(
                f"a{i}",
                f"{name} and its neighbours signed an agreement.",
                day,
                title=f"Story {i} about {name}",
                published_at=day,
                site_name="Harbor Daily",
                language="en",
            )
        )
        mentions.append(make_mention(f"a{i}", code, name, f"{name} and its neighbours"))
    alert = Alert(
        alert_id="k",
        country_code="KE",
        country_name="Kenya",
        article_id="a0",
        raised_at=END,
        run_id="r",
    )
    store.store_batch(con, arts, mentions, [alert])
    # Feeds with long names and errors: the widest table of the page.
    store.register_feeds(
        con,
        [
            FeedSpec(url=f"https://news.example/{i}/rss", name=f"Regional desk feed number {i}")
            for i in (2, 10, 1)
        ],
    )
    html_path, _png = build_report(con, 14, tmp_path / "report", END.date())
    con.close()
    return html_path


def _open(page: Path, width: int | None = None) -> tuple[dict[str, Any], str]:
    """What the probe reported, and Chromium's own log (console lines, if any). ``width``:
    the page in a frame that wide (headless windows are at least 500 pixels wide)."""
    probed = page.with_name("probed.html")
    text = page.read_text(encoding="utf-8")
    probe = PROBE if width is None else PROBE.replace("document.title =", "parent.document.title =")
    probed.write_text(text.replace("<head>", "<head>" + probe, 1), encoding="utf-8")
    opened = probed
    if width is not None:
        opened = page.with_name("frame.html")
        opened.write_text(
            f'<html><head><title>-</title></head><body><iframe src="{probed.name}"'
            f' style="width:{width}px;height:900px;border:0"></iframe></body></html>'
        )
    assert BROWSER is not None
    run = subprocess.run(
        [
            BROWSER,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--allow-file-access-from-files",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,900",
            "--virtual-time-budget=5000",
            "--dump-dom",
            opened.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found = re.search(r"<title>(\{.*?\})</title>", run.stdout, re.S)
    assert found, run.stdout[:500]
    return json.loads(found.group(1).replace("&quot;", '"')), run.stderr


def test_the_report_in_a_browser_maps_every_mentioned_country_and_raises_no_error(
    tmp_path: Path,
) -> None:
    page = _report(tmp_path)
    probe, log = _open(page)
    assert probe["drawn"] >= 150 and probe["titled"] == probe["drawn"]
    assert set(MENTIONED) <= set(probe["countries"])  # Svalbard as a chip beside the map
    assert probe["images"] and all(done and w > 0 for done, w in probe["images"])
    assert probe["errors"] == []
    assert "CONSOLE" not in log


def test_the_report_holds_on_a_phone_width_window(tmp_path: Path) -> None:
    page = _report(tmp_path)
    probe, _log = _open(page, 390)
    assert probe["width"] <= 390, probe["width"]  # wide tables scroll inside their box
