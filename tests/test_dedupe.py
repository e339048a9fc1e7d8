from datetime import UTC, datetime

import duckdb
from conftest import make_article

from ingest.dedupe import (
    compare,
    fingerprint,
    mark_duplicates,
    mark_near_duplicates,
    shingle_set,
    tokens,
)
from ingest.models import Article
from warehouse import store

NOW = datetime(2026, 11, 28, tzinfo=UTC)
STORY = [
    "The harbour authority approved a plan on Monday to deepen the main shipping channel, "
    "allowing larger container ships to dock without waiting for high tide.",
    "Work is expected to begin in March and to last two years, with dredging limited to the "
    "winter months to protect the fish that spawn in the estuary during the spring.",
    "Shipping companies welcomed the decision, saying that delays at the harbour had cost "
    "them several million in fuel and overtime over the past year alone.",
    "Environmental groups said they would study the plan closely and asked for independent "
    "monitoring of the water quality while the work is under way.",
    "The council will hold a public meeting next month to answer questions from residents "
    "who live along the channel and fear noise from the dredgers at night.",
]


def text(*paras: str) -> str:
    return "\n".join(paras)


def art(i: str, body: str) -> Article:
    return make_article(i, body, NOW, content_hash=f"h-{i}")


def test_tokens_fold_case_quotes_and_punctuation() -> None:
    assert tokens("“Hello,” she said — HELLO!") == tokens('"hello" she said hello')


def test_compare_rules() -> None:
    full = shingle_set(text(*STORY))
    trimmed = shingle_set(text(*STORY[:-1]))
    noted = shingle_set(
        text(
            "Editor's note: updated with the council's meeting date.",
            *STORY,
            "Related: Harbour fees rise",
        )
    )
    teaser = shingle_set(text(*STORY[:2]))
    quoting = shingle_set(
        text(
            "Residents questioned the dredging plan at a packed meeting on Thursday evening, and "
            "several asked why the council had not published the full environmental report first.",
            STORY[1],
            "The mayor promised to publish the report within a week and said no work would start "
            "before the public had seen it and the regional agency had reviewed the findings.",
            "Opponents said they would take the council to court if the report was not released, "
            "arguing that the harbour's business interests had been put ahead of residents.",
        )
    )
    assert compare(full, trimmed).method == "jaccard"
    assert compare(full, noted).method == "jaccard"
    assert compare(full, teaser).method == "containment"
    assert compare(full, quoting) is None
    assert (
        compare(
            shingle_set("Short brief about rain."), shingle_set("Short brief about rain today.")
        )
        is None
    )


def test_exact_then_near_duplicates_within_a_batch() -> None:
    a = art("a", text(*STORY))
    b = art("b", text(*STORY)).model_copy(update={"content_hash": "h-a"})
    c = art("c", text("Editor's note: a correction was added.", *STORY[:-1]))
    d = art("d", "An unrelated story about a football match that ended in a draw " * 5)
    marked = mark_duplicates([a, b, c, d], {})
    assert [m.duplicate_of for m in marked] == [None, "a", None, None]
    prints = {m.article_id: fingerprint(m.text) for m in marked if m.duplicate_of is None}
    near = mark_near_duplicates(marked, prints, {}, {}, {})
    assert [(m.duplicate_of, m.dup_method) for m in near] == [
        (None, None),
        ("a", "exact"),
        ("a", "minhash-jaccard"),
        (None, None),
    ]


def test_index_finds_stored_originals_and_is_idempotent(db: duckdb.DuckDBPyConnection) -> None:
    original = art("orig", text(*STORY))
    store.store_batch(
        db, [original], [], [], index=[("orig", fingerprint(original.text).band_keys)]
    )
    store.index_fingerprints(db, [("orig", fingerprint(original.text).band_keys)])
    assert store.index_stats(db) == (1, 40)
    copy = fingerprint(text("Editor's note: corrected.", *STORY))
    unrelated = fingerprint("A different story entirely about trains and timetables. " * 10)
    found = store.near_candidates(db, {"copy": copy.band_keys, "other": unrelated.band_keys})
    assert found == {"copy": ["orig"]}


def test_the_exact_duplicate_key_never_changes() -> None:
    """Stored ``content_hash`` values are compared with new ones: the key must stay the same
    across versions (this value was computed by the first one). Case, quote styles, dashes and
    any kind or amount of space do not count."""
    from ingest.normalize import content_hash

    text = "Le «\u00a0Président\u00a0» a dit\u2028: ‘non’ — „nein“ – FINAL\tß ﬁ\r\n\n  end"
    assert content_hash(text) == (
        "c13daae3bc93ac504617b773239c53d50ff81d2014ba3b3f6ec4f0b1361fac7e"
    )
    assert content_hash('LE " président "   a dit : \'non\' - "nein" - final ss fi end') == (
        content_hash(text)
    )
