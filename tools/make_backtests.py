"""Write backtests/*.yaml: one scenario per past target of data/targets.csv, as it could have
been written when the target was announced (run: python tools/make_backtests.py).

Each scenario has ``as_of`` at the month before the announcement (a figure for a period
ending in the announcement month itself was not complete yet), the pair's yearly trade known by then
(the statistic the outcome is reported in; else the target's base figure alone), the target,
no growth (so sim fits it), and the outcome. Targets without a base figure are skipped.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA, OUT = ROOT / "data", ROOT / "backtests"


def period_end(text: str) -> str:
    """The last month of a period written YYYY or YYYY-MM/YYYY-MM, as YYYY-MM."""
    return f"{text}-12" if re.fullmatch(r"\d{4}", text) else text.split("/")[1]


def twelve_months(text: str) -> bool:
    if re.fullmatch(r"\d{4}", text):
        return True
    first, last = (tuple(map(int, m.split("-"))) for m in text.split("/"))
    return (last[0] - first[0]) * 12 + last[1] - first[1] == 11


def main() -> None:
    targets = list(csv.DictReader((DATA / "targets.csv").open(encoding="utf-8")))
    trade = list(csv.DictReader((DATA / "trade.csv").open(encoding="utf-8")))
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.yaml"):
        old.unlink()
    written = 0
    for row in targets:
        if not row["base_usd_m"].strip():
            continue
        year, month = map(int, row["announced"].split("-"))
        as_of = f"{year - (month == 1)}-{(month - 2) % 12 + 1:02d}"  # the month before
        outcome_rows = [
            t
            for t in trade
            if t["pair"] == row["pair"]
            and t["period"] == row["outcome_period"]
            and abs(float(t["value_usd_m"]) - float(row["outcome_usd_m"])) < 1e-6
        ]
        statistic = outcome_rows[0]["statistic"] if outcome_rows else None
        history = {
            t["period"]: float(t["value_usd_m"])
            for t in sorted(trade, key=lambda t: period_end(t["period"]))
            if statistic
            and t["pair"] == row["pair"]
            and t["statistic"] == statistic
            and twelve_months(t["period"])
            and period_end(t["period"]) <= as_of
        }
        source = statistic
        if not history or period_end(row["base_period"]) > max(map(period_end, history)):
            history = {row["base_period"]: float(row["base_usd_m"])}
            source = row["base_source"]
        document = {
            "name": f"{row['pair']}: ${float(row['target_usd_m']):,.0f}M by {row['deadline']} "
            f"(announced {as_of})",
            "description": f"{row['statement']} Backtest made from data/targets.csv row "
            f"{row['id']} ({row['quality']}); figures and sources in data/.",
            "as_of": as_of,
            "countries": {
                "pair": {
                    "label": row["pair"],
                    "history": {"source": source, "values": history},
                    "target": {
                        "value": float(row["target_usd_m"]),
                        "by": row["deadline"],
                        "source": row["target_source"],
                    },
                    "outcome": {
                        "value": float(row["outcome_usd_m"]),
                        "period": row["outcome_period"],
                        "source": row["outcome_source"],
                    },
                }
            },
        }
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
        (OUT / f"{row['id']}.yaml").write_text(text, encoding="utf-8")
        written += 1
    print(f"wrote {written} scenarios to {OUT.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
