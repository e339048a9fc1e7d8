"""Near-duplicate quality on a labelled pair set, and the MinHash library comparison.

Pairs are built from the shared corpus's real article texts and the seed: positives are copies
of one story as syndication produces them (other page chrome and headline, an editor's note
and related links, a trimmed or added last paragraph, quote/whitespace/typo noise, a teaser);
negatives are different stories (same language), a follow-up that quotes one paragraph,
templated daily pieces that differ in their numbers, and short briefs. Each pair is decided
exactly as the pipeline decides: same content hash, or a shared LSH band key verified on the
shingle sets. ``uv run python -m benchmarks.eval_dedupe`` writes docs/dedupe.md.
"""

from __future__ import annotations

import html
import random
import statistics
import time
import zlib
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.corpus import available, extracted
from ingest.dedupe import compare, fingerprint, shingle_list, tokens
from ingest.extract import extract_page
from ingest.models import FetchResult
from ingest.normalize import content_hash
from ingest.seeds import load_seeds

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "dedupe.md"
RNG = random.Random(20261128)

TEMPLATES = [
    (
        "<html><head><title>{t} | Wire Daily</title></head><body><nav>{nav}</nav><main><article>"
        "<h1>{t}</h1><p class='byline'>Staff report</p>{body}</article></main><aside><h3>Popular"
        "</h3><ul>{side}</ul></aside><footer>© Wire Daily</footer></body></html>"
    ),
    (
        "<html><head><title>{t} - The Courier</title></head><body><div id='top'>{nav}</div>"
        "<div class='story'><h2 class='headline'>{t}</h2><div class='story-body'>{body}</div>"
        "</div><div class='newsletter'><p>Sign up for our newsletter to get the news first.</p>"
        "</div><div class='footer'>{side}</div></body></html>"
    ),
]


def paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n") if p.strip()]


def render(paras: list[str], title: str, template: int) -> str:
    """Serve the text under a site's chrome and extract it again, as the pipeline would."""
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paras)
    nav = " ".join(f"<a href='/s{i}'>Section {i}</a>" for i in range(12))
    side = "".join(f"<li><a href='/m{i}'>Most read story number {i}</a></li>" for i in range(8))
    page = TEMPLATES[template].format(t=html.escape(title), body=body, nav=nav, side=side)
    result = extract_page(
        FetchResult(
            url="https://x.example/a",
            final_url="https://x.example/a",
            status=200,
            content=page.encode(),
        )
    )
    return "\n".join(paras) if isinstance(result, str) else result.text


def noisy(text: str) -> str:
    text = text.replace('"', "“", 1).replace("'", "’").replace(". ", ".  ")
    words = text.split(" ")
    for i in RNG.sample(range(len(words)), k=min(3, len(words))):
        w = words[i]
        if len(w) > 3:
            words[i] = w[0] + w[2] + w[1] + w[3:]
    return " ".join(words)


def templated(day: int) -> str:
    r = random.Random(day)
    return "\n".join(
        [
            f"Markets closed {r.choice(['higher', 'lower'])} on day {day}: the main index moved "
            f"{r.randint(1, 99) / 10} percent to {r.randint(3000, 5000)} points while "
            f"{r.randint(100, 900)} shares rose and {r.randint(100, 900)} fell.",
            f"Oil traded at {r.randint(60, 90)}.{r.randint(10, 99)} dollars a barrel and gold at "
            f"{r.randint(1800, 2400)} dollars an ounce; the euro bought "
            f"{r.randint(100, 120) / 100} dollars.",
            f"The ten-year yield stood at {r.randint(200, 500) / 100} percent, "
            f"{r.randint(1, 30)} basis points from a week earlier, and volume was "
            f"{r.randint(2, 9)}.{r.randint(0, 9)} billion shares.",
            f"The best performer was a stock up {r.randint(3, 20)} percent and the worst fell "
            f"{r.randint(3, 20)} percent, traders said at the close of day {day}.",
        ]
    )


def brief(i: int) -> str:
    topics = [
        "rain in the north",
        "a road closure on the bypass",
        "a power cut in the east",
        "late trains on the coast line",
        "a water main repair downtown",
    ]
    return f"Brief: residents should expect {topics[i % len(topics)]} until {i + 2} pm today."


def build_pairs() -> list[tuple[str, bool, str, str]]:
    """(kind, is_duplicate, text_a, text_b)."""
    articles = [
        (row, page)
        for row, page in extracted()
        if len(paragraphs(page.text)) >= 4 and len(page.text) >= 1200
    ]
    seed = load_seeds(ROOT / "seeds")[0]
    stories = [("seed", seed.title or "", seed.text)] + [
        (str(row["language"]), page.title or "", page.text) for row, page in articles
    ]
    pairs: list[tuple[str, bool, str, str]] = []
    for n, (lang, title, text) in enumerate(stories):
        paras = paragraphs(text)
        a = render(paras, title, 0)
        pairs.append(("chrome+headline", True, a, render(paras, title[::-1] + " (updated)", 1)))
        pairs.append(
            (
                "editor note+related",
                True,
                a,
                render(
                    [
                        "Editor's note: this story has been updated with new information.",
                        *paras,
                        "Related: More stories from our correspondents",
                    ],
                    title,
                    1,
                ),
            )
        )
        pairs.append(("last paragraph trimmed", True, a, render(paras[:-1], title, 1)))
        other = stories[(n + 7) % len(stories)][2]
        pairs.append(
            ("last paragraph added", True, a, render([*paras, paragraphs(other)[-1]], title, 1))
        )
        pairs.append(("quote/space/typo noise", True, a, noisy(a)))
        teaser = paras[: max(2, len(paras) // 3)]
        if len(shingle_list(tokens(" ".join(teaser)))) >= 40:
            pairs.append(("teaser (first part)", True, a, render(teaser, title, 1)))
        same_lang = [s for s in stories if s[0] == lang and s[2] != text] or stories
        b = RNG.choice(same_lang)[2]
        pairs.append(("different story, same language", False, a, render(paragraphs(b), "x", 1)))
        bp = paragraphs(b)
        follow = [*bp[:2], RNG.choice(paras), *bp[2:4]]
        pairs.append(("follow-up quoting one paragraph", False, a, render(follow, "y", 1)))
    for day in range(40):
        pairs.append(("templated daily piece", False, templated(day), templated(day + 1)))
        pairs.append(("short brief", False, brief(day), brief(day + 5)))
    same_event = ROOT / "flows/demo_site/harbor/2025/05/third-country-deals.html"
    other = extract_page(
        FetchResult(
            url="https://h/x", final_url="https://h/x", status=200, content=same_event.read_bytes()
        )
    )
    if not isinstance(other, str):
        pairs.append(("different story, same events", False, seed.text, other.text))
    return pairs


def is_duplicate(a: str, b: str) -> bool:
    """The pipeline's decision for one pair."""
    if content_hash(a) == content_hash(b):
        return True
    fa, fb = fingerprint(a), fingerprint(b)
    if not set(fa.band_keys) & set(fb.band_keys):
        return False
    return compare(fa.shingles, fb.shingles) is not None


def score(pairs: list[tuple[str, bool, str, str]]) -> dict[str, Any]:
    kinds: dict[str, dict[str, int]] = defaultdict(lambda: {"n": 0, "tp": 0, "fp": 0, "fn": 0})
    for kind, label, a, b in pairs:
        pred = is_duplicate(a, b)
        k = kinds[kind]
        k["n"] += 1
        k["tp"] += pred and label
        k["fp"] += pred and not label
        k["fn"] += label and not pred
    tp = sum(k["tp"] for k in kinds.values())
    fp = sum(k["fp"] for k in kinds.values())
    fn = sum(k["fn"] for k in kinds.values())
    return {
        "kinds": dict(kinds),
        "precision": tp / max(tp + fp, 1),
        "recall": tp / max(tp + fn, 1),
        "pairs": len(pairs),
    }


def baseline_minhash_08(pairs: list[tuple[str, bool, str, str]]) -> dict[str, float]:
    """Plain MinHash at the usual 0.8 estimated-Jaccard threshold, for comparison."""
    import datasketch

    def sig(t: str) -> Any:
        m = datasketch.MinHash(num_perm=128, seed=1)
        m.update_batch([s.encode() for s in shingle_list(tokens(t))])
        return m

    positives = [(a, b) for _, label, a, b in pairs if label]
    hits = sum(sig(a).jaccard(sig(b)) >= 0.8 for a, b in positives)
    return {"recall": hits / len(positives)}


def compare_libraries(texts: list[str]) -> list[dict[str, Any]]:
    """Signature speed and Jaccard-estimate error of datasketch, rensa and plain numpy."""
    import datasketch
    import rensa

    prime = np.uint64((1 << 61) - 1)
    rng = np.random.default_rng(7)
    a_perm = rng.integers(1, int(prime), 128, dtype=np.uint64)
    b_perm = rng.integers(0, int(prime), 128, dtype=np.uint64)

    def own(sh: list[str]) -> np.ndarray:
        h = np.fromiter((zlib.crc32(s.encode()) for s in sh), dtype=np.uint64, count=len(sh))
        return ((np.outer(a_perm, h) + b_perm[:, None]) % prime).min(axis=1)

    def ds(sh: list[str]) -> np.ndarray:
        m = datasketch.MinHash(num_perm=128, seed=7)
        m.update_batch([s.encode() for s in sh])
        return np.asarray(m.hashvalues)

    def rs(sh: list[str]) -> np.ndarray:
        m = rensa.RMinHash(num_perm=128, seed=7)
        m.update(sh)
        return np.asarray(m.digest())

    shingled = [shingle_list(tokens(t)) for t in texts]
    pairs = [(i, j) for i in range(len(texts)) for j in range(i + 1, min(i + 4, len(texts)))]
    halves = [sh[: len(sh) * 3 // 4] for sh in shingled]
    out = []
    for name, fn in (("datasketch", ds), ("rensa", rs), ("numpy (own)", own)):
        fn(shingled[0])
        started = time.perf_counter()
        sigs = [fn(sh) for sh in shingled]
        per_doc = (time.perf_counter() - started) / len(shingled) * 1000
        sig_halves = [fn(sh) for sh in halves]
        errors = []
        for i, sh in enumerate(shingled):
            exact = len(set(halves[i]) & set(sh)) / max(len(set(halves[i]) | set(sh)), 1)
            errors.append(abs(float(np.mean(sigs[i] == sig_halves[i])) - exact))
        for i, j in pairs:
            exact = len(set(shingled[i]) & set(shingled[j])) / max(
                len(set(shingled[i]) | set(shingled[j])), 1
            )
            errors.append(abs(float(np.mean(sigs[i] == sigs[j])) - exact))
        out.append(
            {
                "library": name,
                "ms_per_doc": per_doc,
                "mean_abs_error": statistics.mean(errors),
                "max_abs_error": max(errors),
            }
        )
    started = time.perf_counter()
    for t in texts:
        shingle_list(tokens(t))
    tokenize = (time.perf_counter() - started) / len(texts) * 1000
    for row in out:
        row["ms_shingling"] = tokenize
    return out


def render_doc(result: dict[str, Any], libraries: list[dict[str, Any]], baseline: float) -> str:
    lines = [
        "# Near-duplicate detection: what counts, and how well it works",
        "",
        "Written by `uv run python -m benchmarks.eval_dedupe` (`make eval`).",
        "",
        "## What counts as a duplicate",
        "",
        "One story is stored once: a copy is a duplicate of the stored original when it is the",
        "same text (content hash), or when its word 5-gram shingles overlap the original's with",
        "Jaccard ≥ 0.6, or when one text is at least 85 % contained in the other and the smaller",
        "has at least 40 shingles. So syndicated copies under other chrome and headlines, with an",
        "editor's note, related links, a trimmed or added last paragraph, or quote, whitespace",
        "and typo noise are duplicates, and so is a **teaser** (the first part of the story: the",
        "analyst wants one story, not two). A follow-up that quotes a paragraph, a different",
        "story on the same events, templated daily pieces that differ in their numbers and short",
        "briefs are not. An updated version of the same URL is a revision, not a duplicate.",
        "",
        f"## Scores on the labelled pair set ({result['pairs']} pairs)",
        "",
        "Built from the shared corpus's article texts (German, English, Spanish, French, Polish,",
        "...) and the seed; each pair decided as the pipeline decides (hash, then LSH candidates",
        "verified on exact shingle sets).",
        "",
        "| kind | duplicate? | pairs | decided right | precision-relevant errors |",
        "|---|---|---|---|---|",
    ]
    for kind, k in sorted(result["kinds"].items(), key=lambda kv: (-kv[1]["tp"], kv[0])):
        positive = k["tp"] + k["fn"] > 0
        right = k["tp"] if positive else k["n"] - k["fp"]
        errors = f"{k['fn']} missed" if positive else f"{k['fp']} false duplicates"
        lines.append(f"| {kind} | {'yes' if positive else 'no'} | {k['n']} | {right} | {errors} |")
    lines += [
        "",
        f"**Precision {result['precision']:.4f}, recall {result['recall']:.4f}** (targets: "
        "precision ≥ 0.995, recall ≥ 0.99 on syndicated copies). For comparison, plain MinHash "
        f"at the usual 0.8 estimated-Jaccard threshold finds {baseline:.1%} of the positives.",
        "",
        "## Choosing the MinHash implementation",
        "",
        "128 permutations over the word 5-gram shingles of the corpus texts; the error is",
        "|estimated − exact Jaccard| over neighbouring pairs and text-vs-first-three-quarters",
        "pairs.",
        "Shingling (tokens and 5-gram strings, shared by all three) costs "
        f"{libraries[0]['ms_shingling']:.3f} ms per text on top.",
        "",
        "| library | signature ms/text | mean abs. error | max abs. error |",
        "|---|---|---|---|",
    ]
    for row in libraries:
        lines.append(
            f"| {row['library']} | {row['ms_per_doc']:.3f} | "
            f"{row['mean_abs_error']:.4f} | {row['max_abs_error']:.4f} |"
        )
    lines += [
        "",
        "All three estimate Jaccard equally well (they compute the same statistic); rensa is the",
        "fastest, so newsdesk uses it (`ingest/dedupe.py`). Its estimates only pick candidates:",
        "every decision is made on exact shingle sets, so the choice cannot cost precision.",
        "",
        "## Index layout",
        "",
        "Per original: 32 band keys (4 rows each) over the whole text and 8 over its first 60",
        "shingles, as 32-bit keys in `dedupe_index(band_key, article_seq)`; `dedupe_docs` maps the",
        "sequence number to the article. A batch looks its keys up in one join; candidates are",
        "verified on the texts, read for the candidates only. Scaling figures: docs/benchmarks.md.",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    if not available():
        print("../shared/corpus not found: nothing to evaluate")
        return 1
    pairs = build_pairs()
    result = score(pairs)
    texts = [page.text for _, page in extracted()][:120]
    libraries = compare_libraries(texts)
    baseline = baseline_minhash_08(pairs)["recall"]
    OUT.write_text(render_doc(result, libraries, baseline))
    print(
        f"precision {result['precision']:.4f} recall {result['recall']:.4f} "
        f"({result['pairs']} pairs); wrote {OUT.relative_to(ROOT)}"
    )
    for kind, k in sorted(result["kinds"].items()):
        print(f"  {kind:35s} {k}")
    for row in libraries:
        print(f"  {row}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
