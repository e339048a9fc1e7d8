"""Japanese one-kanji country abbreviations, read where news uses them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

# Japanese news abbreviates countries to one kanji, but only in pairs ("米朝首脳会談": US and
# North Korea summit) or before a few nouns ("米大統領": the US president); alone the kanji are
# ordinary words (米 rice, 朝 morning), and 日/中 are left out (日中 is also "daytime").
_KANJI = {"米": "US", "韓": "KR", "朝": "KP", "露": "RU", "英": "GB", "仏": "FR", "独": "DE"}
_KANJI_PAIR_SECOND = {**_KANJI, "中": "CN"}
_KANJI_NOUNS = ("大統領", "政府", "国務長官", "首相", "軍")
_KANJI_RUN = re.compile(
    f"[{''.join(_KANJI)}][{''.join(_KANJI_PAIR_SECOND)}]+|[{''.join(_KANJI)}](?={'|'.join(_KANJI_NOUNS)})"
)


def kanji_abbreviations(text: str, hits: Sequence[Any]) -> list[tuple[str, int, int]]:
    """(code, start, end) of each kanji abbreviation outside the ``hits`` already found."""
    taken = [(h.start, h.end) for h in hits]
    found = []
    for match in _KANJI_RUN.finditer(text):
        for i in range(match.start(), match.end()):
            if not any(a <= i < b for a, b in taken):
                found.append((_KANJI_PAIR_SECOND[text[i]], i, i + 1))
    return found
