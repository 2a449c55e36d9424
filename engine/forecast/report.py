"""A forecast's figures as a text summary, CSV files and a self-contained HTML report. Everything
here reads the figures' JSON (Figures.to_json) only, never the cases; plots.py draws the pictures
the report shows.
"""
from __future__ import annotations

import csv
import io
from html import escape
from typing import Any

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


# -- the figures side by side --------------------------------------------------------------------
def headline(figures: dict) -> dict[str, float]:
    """The figures an analyst compares, by name: totals, shares, intrays at the end, letters, cycle
    times."""
    out: dict[str, float] = {"cases": figures["cases"],
                             "events accepted": sum(figures["events"].values()),
                             "refusals": sum(r["count"] for r in figures["refusals"])}
    for status, n in figures["final_status"].items():
        out[f"ended in {status}"] = n
    for code, t in figures["intrays"].items():
        for key in ("opened", "closed", "open_at_end", "overdue_at_end", "overdue_peak",
                    "overdue_days"):
            out[f"{code} {key.replace('_', ' ')}"] = t[key]
    letters: dict[str, int] = {}
    for row in figures["letters"]:
        letters[row["code"]] = letters.get(row["code"], 0) + row["count"]
    for code, n in sorted(letters.items()):
        out[f"letters {code}"] = n
    for name, c in figures["cycle_times"].items():
        for key in ("p50_days", "p90_days", "mean_days"):
            if key in c:
                out[f"{name} {key.replace('_days', '')} (days)"] = c[key]
    return out


def comparison(base: dict, other: dict) -> list[dict]:
    """Each headline figure of two runs side by side, with the difference (other - base)."""
    a, b = headline(base), headline(other)
    rows = []
    for name in list(a) + [n for n in b if n not in a]:
        x, y = a.get(name, 0), b.get(name, 0)
        diff = y - x
        rows.append({"figure": name, "base": x, "other": y,
                     "difference": round(diff, 4) if isinstance(diff, float) else diff})
    return rows


# -- text -----------------------------------------------------------------------------------------
def _num(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:,.2f}"
    return f"{x:,}"


def _table(header: list[str], rows: list[list[Any]]) -> str:
    cells = [header] + [[_num(c) if not isinstance(c, str) else c for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = []
    for n, row in enumerate(cells):
        padded = (c.ljust(w) if i == 0 else c.rjust(w)
                  for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        lines.append("  " + "  ".join(padded))
        if n == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def run_title(run: dict) -> str:
    return (f"{run['model']}: workflow {run['workflow']} (version {run['version'][:12]}), "
            f"{run['period']['from']} to {run['period']['to']}, seed {run['seed']}")


def summary_text(run: dict) -> str:
    f = run["figures"]
    parts = [run_title(run),
             f"{f['cases']:,} cases, {sum(f['events'].values()):,} events accepted, "
             f"{sum(r['count'] for r in f['refusals']):,} refusals; {run['partitions']} "
             "partition(s)", ""]
    parts += ["Final status", _table(["status", "cases", "share"],
                                     [[s, n, f"{f['final_share'][s]:.1%}"]
                                      for s, n in f["final_status"].items()]), ""]
    parts += ["Intrays", _table(["intray", "opened", "closed", "open at end", "overdue at end",
                                 "overdue peak"],
                                [[c, t["opened"], t["closed"], t["open_at_end"],
                                  t["overdue_at_end"], t["overdue_peak"]]
                                 for c, t in f["intrays"].items()]), ""]
    if f["letters"]:
        weeks = max(1, len(f["daily"]["dates"]) / 7)
        parts += ["Letters", _table(["letter", "to", "issued", "a week"],
                                    [[r["code"], ", ".join(r["to"]), r["count"],
                                      round(r["count"] / weeks, 2)]
                                     for r in f["letters"]]), ""]
    if f["cycle_times"]:
        parts += ["Cycle times (days)", _table(["from - to", "cases", "median", "90th percentile",
                                                "mean"],
                                               [[n, c["count"], c.get("p50_days", 0.0),
                                                 c.get("p90_days", 0.0),
                                                 c.get("mean_days", 0.0)]
                                                for n, c in f["cycle_times"].items()]), ""]
    if f["refusals"]:
        parts += ["Refusals", _table(["event", "count", "the rule that refused"],
                                     [[r["event"], r["count"], r["says"]]
                                      for r in f["refusals"][:20]]), ""]
    return "\n".join(parts)


def compare_text(base: dict, other: dict, rows: list[dict], changes: str) -> str:
    parts = ["base:  " + run_title(base), "other: " + run_title(other), "",
             _table(["figure", "base", "other", "difference"],
                    [[r["figure"], r["base"], r["other"],
                      ("+" if r["difference"] > 0 else "") + _num(r["difference"])] for r in rows]),
             "",
             "What changed in the workflow", changes.rstrip() or "  (nothing)", ""]
    return "\n".join(parts)


# -- CSV ------------------------------------------------------------------------------------------
def csv_files(runs: dict[str, dict]) -> dict[str, str]:
    """The CSV files of one run or more (a `run` column names each), by file name."""
    files: dict[str, list[list[Any]]] = {
        "daily_status.csv": [["run", "date", "status", "cases"]],
        "daily_intrays.csv": [["run", "date", "intray", "opened", "closed", "open", "overdue"]],
        "final_status.csv": [["run", "status", "cases", "share"]],
        "letters.csv": [["run", "letter", "to", "issued"]],
        "cycle_times.csv": [["run", "cycle", "cases", "median_days", "p90_days", "mean_days",
                             "max_days"]],
        "refusals.csv": [["run", "event", "says", "count"]],
    }
    for label, run in runs.items():
        f = run["figures"]
        dates = f["daily"]["dates"]
        for status, counts in f["daily"]["status"].items():
            files["daily_status.csv"] += [[label, d, status, n]
                                          for d, n in zip(dates, counts, strict=True)]
        for code, s in f["daily"]["intrays"].items():
            files["daily_intrays.csv"] += [[label, d, code, *v] for d, *v in
                                           zip(dates, s["opened"], s["closed"], s["open"],
                                               s["overdue"], strict=True)]
        files["final_status.csv"] += [[label, s, n, f["final_share"][s]]
                                      for s, n in f["final_status"].items()]
        files["letters.csv"] += [[label, r["code"], " ".join(r["to"]), r["count"]]
                                 for r in f["letters"]]
        files["cycle_times.csv"] += [[label, n, c["count"], c.get("p50_days"), c.get("p90_days"),
                                      c.get("mean_days"),
                                      c.get("max_days")] for n, c in f["cycle_times"].items()]
        files["refusals.csv"] += [[label, r["event"], r["says"], r["count"]] for r in f["refusals"]]
    out = {}
    for name, rows in files.items():
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerows([[_safe_cell(c) for c in row] for row in rows])
        out[name] = buf.getvalue()
    return out


def comparison_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["figure", "base", "other", "difference"])
    writer.writerows([[_safe_cell(r["figure"]), r["base"], r["other"], r["difference"]]
                      for r in rows])
    return buf.getvalue()


def _safe_cell(value: Any) -> Any:
    """A text cell a spreadsheet would read as a formula is written with a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


# -- HTML -----------------------------------------------------------------------------------------
STYLE = """
html { font-family: system-ui, "DejaVu Sans", Arial, sans-serif; color: #1d2430; line-height: 1.45; }
body { margin: 0 auto; max-width: 70rem; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.6rem; } h2 { border-bottom: 2px solid #d5d9e0; font-size: 1.25rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 0.6rem 0 1rem; }
th, td { border: 1px solid #d5d9e0; padding: 0.3rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; } thead th { background: #f4f6f9; }
td.up { color: #a3262a; } td.down { color: #1d6b3a; }
img { max-width: 100%; border: 1px solid #d5d9e0; }
pre { background: #f4f6f9; padding: 0.6rem; overflow: auto; }
p.meta { color: #5b6472; }
"""  # noqa: E501


def _html_table(header: list[str], rows: list[list[Any]],
                classes: list[list[str]] | None = None) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cells = []
        for j, c in enumerate(row):
            cls = classes[i][j] if classes else ""
            text = c if isinstance(c, str) else _num(c)
            cells.append(f"<td class=\"{cls}\">{escape(text)}</td>" if cls
                         else f"<td>{escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def html_report(runs: dict[str, dict], images: dict[str, str], rows: list[dict] | None = None,
                changes: str = "") -> str:
    """The report as one HTML page: the figures as tables, the plots inline (PNG as data: URIs)."""
    first = next(iter(runs.values()))
    out = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
           f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
           f"<title>Forecast: {escape(first['model'])}</title><style>{STYLE}</style></head><body>",
           f"<h1>Forecast: {escape(first['model'])}</h1>"]
    for label, run in runs.items():
        out.append(f"<p class=\"meta\">{escape(label)}: {escape(run_title(run))}; "
                   f"{run['figures']['cases']:,} cases</p>")
    if rows is not None:
        classes = [["", "", "", "up" if r["difference"] > 0 else "down" if r["difference"] < 0
                    else ""] for r in rows]
        out += ["<h2>Side by side</h2>",
                _html_table(["figure", "base", "other", "difference"],
                            [[r["figure"], r["base"], r["other"], r["difference"]] for r in rows],
                            classes),
                "<h2>What changed in the workflow</h2>",
                f"<pre>{escape(changes or '(nothing)')}</pre>"]
    for name, title in (("changed", "The intrays whose figures differ"),
                        ("backlog", "Open and overdue intrays"), ("cycle_times", "Cycle times"),
                        ("final_status", "Final status")):
        if name in images:
            out.append(f"<h2>{escape(title)}</h2><img alt=\"{escape(title)}\" "
                       f"src=\"data:image/png;base64,{images[name]}\">")
    for label, run in runs.items():
        f = run["figures"]
        out.append(f"<h2>Figures: {escape(label)}</h2>")
        out.append(_html_table(["status", "cases", "share"],
                               [[s, n, f"{f['final_share'][s]:.1%}"]
                                for s, n in f["final_status"].items()]))
        out.append(_html_table(["intray", "opened", "closed", "open at end", "overdue at end",
                                "overdue peak"],
                               [[c, t["opened"], t["closed"], t["open_at_end"], t["overdue_at_end"],
                                 t["overdue_peak"]]
                                for c, t in f["intrays"].items()]))
        if f["letters"]:
            out.append(_html_table(["letter", "to", "issued"],
                                   [[r["code"], ", ".join(r["to"]), r["count"]]
                                    for r in f["letters"]]))
        if f["cycle_times"]:
            out.append(_html_table(["from - to (days)", "cases", "median", "90th percentile",
                                    "mean"],
                                   [[n, c["count"], c.get("p50_days", 0.0), c.get("p90_days", 0.0),
                                     c.get("mean_days", 0.0)]
                                    for n, c in f["cycle_times"].items()]))
        if f["refusals"]:
            out.append(_html_table(["event", "the rule that refused", "count"],
                                   [[r["event"], r["says"], r["count"]] for r in f["refusals"]]))
    out.append("</body></html>\n")
    return "\n".join(out)
