"""Exact duplicates: the same normalized text is one story, whichever site carried it.

Checked against the seeds, everything stored, and earlier articles of the same batch. The
warehouse supplies the stored side as a hash → article_id lookup for this batch's hashes only,
so the cost per run does not grow with the warehouse.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ingest.models import Article


def mark_duplicates(articles: Sequence[Article], stored: Mapping[str, str]) -> list[Article]:
    """Set ``duplicate_of`` on every article whose content hash was seen before.

    ``stored`` maps content_hash → article_id of the stored original. Within the batch the first
    article (in the given order) is the original.
    """
    known = dict(stored)
    result = []
    for article in articles:
        original = known.get(article.content_hash)
        if original is not None and original != article.article_id:
            result.append(article.model_copy(update={"duplicate_of": original}))
        else:
            known.setdefault(article.content_hash, article.article_id)
            result.append(article)
    return result
