"""One typed settings object for the whole pipeline.

Built once at the edge (the CLI or the flow's parameters) and passed down; nothing below this
module reads the environment, but for the crash tests' fault hook (``ingest/faults.py``, which
must reach every process without a setting in production signatures). Every threshold lives
here with the reason for its value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ingest.errors import ConfigError
from ingest.urls import allow_list_problem

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Where the wheel puts the default feed list, deployment and seeds (pyproject.toml's
# force-include): an installed newsdesk has no repository around it.
PACKAGED = Path(__file__).resolve().parent / "defaults"


def shipped(relative: str) -> Path:
    """A file or folder newsdesk ships (``deployments/feeds.toml``, ``seeds``): the
    repository's copy in a checkout, the packaged one in an installed wheel."""
    in_repository = PROJECT_ROOT / relative
    return in_repository if in_repository.exists() else PACKAGED / relative


class Settings(BaseSettings):
    """Pipeline configuration; env prefix ``NEWSDESK_`` (e.g. ``NEWSDESK_DB``)."""

    model_config = SettingsConfigDict(env_prefix="NEWSDESK_", extra="ignore")

    db: Path = Field(default=Path("newsdesk.duckdb"), description="DuckDB warehouse file")
    feeds: Path = Field(
        default_factory=lambda: shipped("deployments/feeds.toml"),
        description="feed list: TOML with [[feeds]] tables, or OPML",
    )
    seeds_dir: Path = Field(
        default_factory=lambda: shipped("seeds"), description="folder of seed *.txt"
    )
    allow_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="hosts that may resolve to private/loopback addresses, or CIDR ranges of"
        " such addresses such as 127.0.0.0/8 (comma separated in env)",
    )
    user_agent: str = Field(
        default="newsdesk/0.1",
        description="product token of the User-Agent sent to publishers",
    )
    contact_url: str = Field(
        default="https://github.com/newsdesk/newsdesk",
        description="where publishers can learn who fetches their pages (sent in User-Agent)",
    )
    # Ten seconds to connect and read is generous for a news site and keeps one dead host from
    # holding a worker for long; the total cap bounds slow-loris servers that trickle bytes.
    connect_timeout: float = Field(default=10.0, description="seconds to connect to a host")
    read_timeout: float = Field(
        default=20.0,
        description="seconds to wait for the next bytes of a response",
    )
    total_timeout: float = Field(
        default=60.0,
        description="seconds one request may take in all (slow-loris bound)",
    )
    # Real feeds rarely exceed 1 MB and article pages 3 MB; the caps stop runaway bodies.
    max_feed_bytes: int = Field(
        default=5 * 1024 * 1024,
        description="feed body cap, after decompression",
    )
    max_page_bytes: int = Field(
        default=10 * 1024 * 1024,
        description="page body cap, after decompression",
    )
    max_redirects: int = Field(
        default=5,
        description="redirects followed per request (every hop checked)",
    )
    # Page bodies one batch may hold: three batches are in flight (fetched, extracted, stored),
    # so the flow process holds about three times this in bodies, whatever the page size.
    batch_bytes: int = Field(
        default=48 * 1024 * 1024,
        description="page bodies one batch may hold, whatever the page size",
    )
    # Sixteen requests in flight saturate two cores' extraction; two per host is polite.
    max_connections: int = Field(default=16, description="requests in flight")
    per_host_connections: int = Field(default=2, description="requests in flight per host")
    # Politeness: an optional pause between request starts to one host, and robots.txt.
    per_host_delay: float = Field(
        default=0.0,
        description="seconds between request starts to one host",
    )
    obey_robots: bool = Field(default=True, description="honour robots.txt for article pages")
    # A robots.txt Crawl-delay spaces that host's requests, up to this many seconds.
    max_crawl_delay: float = Field(
        default=10.0,
        description="cap on a robots.txt Crawl-delay, in seconds",
    )
    # Three attempts with exponential backoff recover most transient errors within a night
    # without letting a dead host hold a slot for minutes; Retry-After is honoured up to a cap.
    max_attempts: int = Field(
        default=3,
        description="attempts per request (retries on connection errors, 429, 502-504)",
    )
    # Seconds of timed-out attempts a host may cost one run before its remaining URLs are given
    # up until the next run: two attempts at the total timeout, on two connections.
    host_time_budget: float = Field(
        default=120.0,
        description="seconds of timed-out requests one host may cost a run; its remaining URLs are"
        " then given up until the next run (recorded)",
    )
    # Seconds a batch waits for its pages; those still out then join a later batch, so a slow
    # host never holds the pages of the others until its timeouts run out.
    batch_patience: float = Field(
        default=10.0,
        description="seconds a batch waits for its pages; slower ones join a later batch",
    )
    backoff_base: float = Field(
        default=0.5,
        description="seconds of the first retry's backoff (doubling, with jitter)",
    )
    retry_after_cap: float = Field(
        default=30.0,
        description="longest Retry-After honoured, in seconds",
    )
    max_entries_per_feed: int = Field(
        default=500,
        description="entries read from one feed (the newest)",
    )
    # Publishers send stale validators: after this many 304s in a row, fetch without them.
    force_refetch_after: int = Field(
        default=7,
        description="304s in a row after which a feed is fetched without validators once",
    )
    # A feed failing this many runs in a row is polled less often (doubling, up to a week).
    failure_backoff_after: int = Field(
        default=3,
        description="failed runs in a row after which a feed backs off (1, 2, 4 … days, at most a "
        "week)",
    )
    alert_urls: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Apprise URLs that receive the new-country digest (comma separated in "
        "env), e.g. json://host/hook, slack://..., mailto://..., ntfy://...",
    )
    # A feed is never polled between nightly runs more often than this, whatever its rate.
    poll_min_interval: float = Field(
        default=600.0,
        ge=0,
        description="seconds between two intra-day polls of one feed, at least",
    )
    # A run waits this long for another run (or a backup) to release the warehouse.
    lock_wait: float = Field(
        default=60.0,
        description="seconds a run waits for another run or a backup to release the warehouse",
    )
    # None: a country is new when no original ever mentioned it; N: none in the last N days.
    alert_window_days: int | None = Field(
        default=None,
        description="a country is new when no original mentioned it in this many days (default: "
        "ever)",
    )
    # An article must mention a new country this often to raise the alert, unless the country
    # is in its title or first paragraph; 1 raises on any mention.
    alert_min_mentions: int = Field(
        default=1,
        description="mentions an article needs to raise an alert, unless the country is in its "
        "title or first paragraph",
    )
    # The DuckDB fts extension for BM25 search: a file path or an extension name; empty uses the
    # copy shipped in the duckdb-extension-fts package (no download at run time).
    fts_extension: str = Field(
        default="",
        description="path or name of DuckDB's fts extension (default: the packaged copy)",
    )
    # Days of originals that BM25 search ranks (its index takes each run's new originals and
    # drops those that leave the window); older ones are matched by substring. 0: all.
    search_days: int = Field(
        default=90,
        ge=0,
        description="days of originals that `newsdesk search` ranks with BM25 (older ones matched "
        "by substring); 0 = all",
    )
    # Extraction processes; 0 is one per core (at most 4), 1 extracts in the flow process.
    extract_workers: int = Field(
        default=0,
        ge=0,
        description="extraction processes; 0 = one per core (at most 4), 1 = in the flow process",
    )
    # A Dask scheduler (tcp://host:8786): page fetching and extraction run on its workers through
    # prefect-dask's DaskTaskRunner; empty runs everything on this machine.
    dask_address: str = Field(
        default="",
        description="Dask scheduler (tcp://host:8786) whose workers fetch and extract pages",
    )
    # How many workers to spread each batch's extraction over on the cluster.
    dask_workers: int = Field(
        default=2,
        description="workers each batch's extraction is spread over on the cluster",
    )

    @property
    def full_user_agent(self) -> str:
        return f"{self.user_agent} (+{self.contact_url})"

    @classmethod
    def load(cls, **overrides: object) -> Settings:
        """The settings: ``overrides`` over the ``NEWSDESK_*`` environment, or a ConfigError that
        names the variable and what is wrong with its value."""
        try:
            return cls(**overrides)  # type: ignore[arg-type]
        except ValidationError as exc:
            first = exc.errors()[0]
            name = str(first["loc"][0]) if first["loc"] else "?"
            where = FLAGS.get(name) if name in overrides else f"NEWSDESK_{name.upper()}"
            raise ConfigError(
                f"{where or name}: {first['msg']} (got {first.get('input')!r})"
            ) from None

    @classmethod
    def from_parameters(
        cls,
        feeds_file: str | None = None,
        db_path: str | None = None,
        seeds_dir: str | None = None,
        allow_hosts: list[str] | None = None,
    ) -> Settings:
        """The settings of a flow run: its parameters (strings, as a deployment passes them)
        over the ``NEWSDESK_*`` environment."""
        overrides: dict[str, object] = {}
        if feeds_file:
            overrides["feeds"] = Path(feeds_file)
        if db_path:
            overrides["db"] = Path(db_path)
        if seeds_dir:
            overrides["seeds_dir"] = Path(seeds_dir)
        if allow_hosts:
            overrides["allow_hosts"] = list(allow_hosts)
        return cls.load(**overrides)

    @field_validator("allow_hosts", "alert_urls", mode="before")
    @classmethod
    def _split_csv(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("allow_hosts")
    @classmethod
    def _ranges_parse(cls, value: list[str]) -> list[str]:
        problem = allow_list_problem(value)
        if problem:
            raise ValueError(problem)
        return value


# The command-line flags that override a setting (the others are set in the environment).
FLAGS = {"db": "--db", "feeds": "--feeds", "seeds_dir": "--seeds", "allow_hosts": "--allow-host"}
README_START = "<!-- settings table: generated by `python -m ingest.settings --readme` -->"
README_END = "<!-- end of settings table -->"


def _shown(value: object) -> str:
    if isinstance(value, Path):
        return f"`{value.relative_to(PROJECT_ROOT) if value.is_absolute() else value}`"
    if value in (None, "", []):
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int) and value >= 1 << 20 and value % (1 << 20) == 0:
        return f"{value >> 20} MB"
    return (
        f"`{value}`"
        if isinstance(value, str)
        else f"{value:g}"
        if isinstance(value, float)
        else str(value)
    )


def settings_table() -> str:
    """The README's settings table, from the settings object itself: a setting cannot be
    added without appearing there (tests/test_settings.py compares the two)."""
    rows = ["| setting | flag | default | meaning |", "|---|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default_factory() if field.default_factory else field.default  # type: ignore[call-arg]
        env = f"`NEWSDESK_{name.upper()}`"
        flag = f"`{FLAGS[name]}`" if name in FLAGS else ""
        rows.append(f"| {env} | {flag} | {_shown(default)} | {field.description} |")
    return "\n".join(rows)


def readme_with_table(readme: str) -> str:
    """``readme`` with the text between the settings-table markers replaced by the table."""
    head, rest = readme.split(README_START, 1)
    _old, tail = rest.split(README_END, 1)
    return f"{head}{README_START}\n{settings_table()}\n{README_END}{tail}"


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--readme"]:
        path = PROJECT_ROOT / "README.md"
        path.write_text(readme_with_table(path.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print(settings_table())
