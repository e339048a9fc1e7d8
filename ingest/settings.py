"""One typed settings object for the whole pipeline.

Built once at the edge (the CLI or the flow's parameters) and passed down; nothing below this
module reads the environment. Every threshold lives here with the reason for its value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Pipeline configuration; env prefix ``NEWSDESK_`` (e.g. ``NEWSDESK_DB``)."""

    model_config = SettingsConfigDict(env_prefix="NEWSDESK_", extra="ignore")

    db: Path = Field(default=Path("newsdesk.duckdb"), description="DuckDB warehouse file")
    feeds: Path = Field(
        default=PROJECT_ROOT / "deployments" / "feeds.toml",
        description="feed list: TOML with [[feeds]] tables, or OPML",
    )
    seeds_dir: Path = Field(default=PROJECT_ROOT / "seeds", description="folder of seed *.txt")
    allow_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="hosts that may resolve to private/loopback addresses (comma separated in env)",
    )
    user_agent: str = "newsdesk/0.1"
    contact_url: str = Field(
        default="https://github.com/newsdesk/newsdesk",
        description="where publishers can learn who fetches their pages (sent in User-Agent)",
    )
    # Ten seconds to connect and read is generous for a news site and keeps one dead host from
    # holding a worker for long; the total cap bounds slow-loris servers that trickle bytes.
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    # Real feeds rarely exceed 1 MB and article pages 3 MB; the caps stop runaway bodies.
    max_feed_bytes: int = 5 * 1024 * 1024
    max_page_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    # Page bodies one batch may hold: three batches are in flight (fetched, extracted, stored),
    # so the flow process holds about three times this in bodies, whatever the page size.
    batch_bytes: int = 48 * 1024 * 1024
    # Sixteen requests in flight saturate two cores' extraction; two per host is polite.
    max_connections: int = 16
    per_host_connections: int = 2
    # Politeness: an optional pause between request starts to one host, and robots.txt.
    per_host_delay: float = 0.0
    obey_robots: bool = True
    # A robots.txt Crawl-delay spaces that host's requests, up to this many seconds.
    max_crawl_delay: float = 10.0
    # Three attempts with exponential backoff recover most transient errors within a night
    # without letting a dead host hold a slot for minutes; Retry-After is honoured up to a cap.
    max_attempts: int = 3
    # Seconds of timed-out attempts a host may cost one run before its remaining URLs are given
    # up until the next run: two attempts at the total timeout, on two connections.
    host_time_budget: float = 120.0
    # Seconds a batch waits for its pages; those still out then join a later batch, so a slow
    # host never holds the pages of the others until its timeouts run out.
    batch_patience: float = 10.0
    backoff_base: float = 0.5
    retry_after_cap: float = 30.0
    max_entries_per_feed: int = 500
    # Publishers send stale validators: after this many 304s in a row, fetch without them.
    force_refetch_after: int = 7
    # A feed failing this many runs in a row is polled less often (doubling, up to a week).
    failure_backoff_after: int = 3
    alert_urls: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Apprise URLs that receive the new-country digest (comma separated in "
        "env), e.g. json://host/hook, slack://..., mailto://..., ntfy://...",
    )
    # A run waits this long for another run (or a backup) to release the warehouse.
    lock_wait: float = 60.0
    # None: a country is new when no original ever mentioned it; N: none in the last N days.
    alert_window_days: int | None = None
    # An article must mention a new country this often to raise the alert, unless the country
    # is in its title or first paragraph; 1 raises on any mention.
    alert_min_mentions: int = 1
    # The DuckDB fts extension for BM25 search: a file path or an extension name; empty uses the
    # copy shipped in the duckdb-extension-fts package (no download at run time).
    fts_extension: str = ""
    # Days of originals that BM25 search ranks (its index takes each run's new originals and
    # drops those that leave the window); older ones are matched by substring. 0: all.
    search_days: int = Field(default=90, ge=0)
    # Extraction processes; 0 is one per core (at most 4), 1 extracts in the flow process.
    extract_workers: int = Field(default=0, ge=0)
    # A Dask scheduler (tcp://host:8786): page fetching and extraction run on its workers through
    # prefect-dask's DaskTaskRunner; empty runs everything on this machine.
    dask_address: str = ""
    # How many workers to spread each batch's extraction over on the cluster.
    dask_workers: int = 2

    @property
    def full_user_agent(self) -> str:
        return f"{self.user_agent} (+{self.contact_url})"

    @field_validator("allow_hosts", "alert_urls", mode="before")
    @classmethod
    def _split_csv(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value
