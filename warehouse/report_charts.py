"""The report's chart: attention over time, as small multiples.

Attention is Media Cloud's measure: the share of each day's originals that mention the
country, so a busy news day does not look like attention to every country. One small panel
per country (the period's most mentioned), on one shared scale, stays readable with eight
countries where eight overlapping lines did not.
"""

from __future__ import annotations

import io
from datetime import date

COLUMNS = 4


def attention_png(
    series: dict[str, dict[date, float]], days: list[date], volume: dict[date, int]
) -> bytes:
    """Small multiples of each country's daily share of originals (``series``: name -> day ->
    share), with the day's number of originals under them; PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import PercentFormatter

    panels = max(len(series), 1)
    rows = (panels + COLUMNS - 1) // COLUMNS
    fig, axes = plt.subplots(
        rows + 1,
        COLUMNS,
        figsize=(10, 1.9 * rows + 1.6),
        dpi=100,
        sharex=True,
        gridspec_kw={"height_ratios": [3] * rows + [2]},
        squeeze=False,
    )
    top = max((v for s in series.values() for v in s.values()), default=0.0) or 1.0
    for ax, (name, shares) in zip(axes[:rows].flat, series.items(), strict=False):
        values = [shares.get(d, 0.0) for d in days]
        ax.fill_between(days, values, color="#9ecae1", linewidth=0)
        ax.plot(days, values, color="#08519c", linewidth=1.4)
        ax.set_title(name, fontsize=9, loc="left")
        ax.set_ylim(0, top * 1.1)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    for ax in list(axes[:rows].flat)[len(series) :]:
        ax.axis("off")
    gs = axes[rows, 0].get_gridspec()
    for ax in axes[rows]:
        ax.remove()
    ax = fig.add_subplot(gs[rows, :], sharex=axes[0][0])
    ax.bar(days, [volume.get(d, 0) for d in days], color="#bbbbbb")  # type: ignore[arg-type]
    ax.set_title("originals stored per day", fontsize=9, loc="left")
    ax.tick_params(labelsize=7)
    fig.suptitle("Attention: share of each day's originals that mention the country", fontsize=10)
    fig.autofmt_xdate()
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()
