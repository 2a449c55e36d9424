"""The forecast's plots, drawn with matplotlib (Agg: no display) from the figures' JSON alone: open
and overdue intrays over time, the cycle-time histogram, the final-status shares. Each is PNG
bytes."""
from __future__ import annotations

from datetime import date

LINES = ("-", "--")  # one run solid, the other dashed


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:  # type: ignore[no-untyped-def]
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    _pyplot().close(fig)
    return buf.getvalue()


def backlog(runs: dict[str, dict], codes: list[str] | None = None) -> bytes:
    """Open and overdue intrays at the end of each day, per intray (one line style per run)."""
    plt = _pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    colours = {}
    for style, (label, run) in zip(LINES, runs.items(), strict=False):
        daily = run["figures"]["daily"]
        days = [date.fromisoformat(d) for d in daily["dates"]]
        for code in codes or list(daily["intrays"]):
            series = daily["intrays"].get(code)
            if series is None:
                continue
            name = code if len(runs) == 1 else f"{code} ({label})"
            line, = top.plot(days, series["open"], style, color=colours.get(code), label=name,
                             linewidth=1.2)
            colours[code] = line.get_color()
            bottom.plot(days, series["overdue"], style, color=colours[code], label=name,
                        linewidth=1.2)
    top.set_title("Open intrays at the end of each day")
    bottom.set_title("Overdue intrays at the end of each day")
    for ax in (top, bottom):
        ax.set_ylabel("intrays")
        ax.grid(alpha=0.3)
    top.legend(fontsize=8, ncol=2, loc="upper left")
    fig.autofmt_xdate()
    fig.tight_layout()
    return _png(fig)


def cycle_times(runs: dict[str, dict], name: str | None = None) -> bytes:
    """The histogram of one cycle time (the model's first by default), in days, per run."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 4))
    for label, run in runs.items():
        cycles = run["figures"]["cycle_times"]
        if not cycles:
            continue
        chosen = name or next(iter(cycles))
        hist = cycles.get(chosen, {}).get("histogram_days", {})
        days = [int(d) for d in hist]
        ax.step(days, list(hist.values()), where="post",
                label=f"{chosen} ({label})" if len(runs) > 1 else chosen)
    ax.set_xlabel("days")
    ax.set_ylabel("cases")
    ax.set_title("Cycle time")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _png(fig)


def final_status(runs: dict[str, dict]) -> bytes:
    """The share of cases ending in each status, per run."""
    plt = _pyplot()
    statuses: list[str] = []
    for run in runs.values():
        statuses += [s for s in run["figures"]["final_share"] if s not in statuses]
    fig, ax = plt.subplots(figsize=(10, 0.4 * len(statuses) + 1.5))
    height = 0.8 / max(1, len(runs))
    for i, (label, run) in enumerate(runs.items()):
        shares = run["figures"]["final_share"]
        ax.barh([k + i * height for k in range(len(statuses))],
                [100 * shares.get(s, 0) for s in statuses],
                height=height, label=label)
    ax.set_yticks([k + height * (len(runs) - 1) / 2 for k in range(len(statuses))], statuses)
    ax.invert_yaxis()
    ax.set_xlabel("% of cases")
    ax.set_title("Final status")
    if len(runs) > 1:
        ax.legend(fontsize=8)
    fig.tight_layout()
    return _png(fig)


def all_plots(runs: dict[str, dict]) -> dict[str, bytes]:
    return {"backlog": backlog(runs), "cycle_times": cycle_times(runs),
            "final_status": final_status(runs)}
