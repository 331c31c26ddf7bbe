"""Check data/targets.csv and data/trade.csv (run: python tools/check_data.py).

Checks: exact columns; every period is YYYY or YYYY-MM/YYYY-MM; numbers are positive floats;
ids unique; met agrees with outcome >= target; base periods end before the announcement month;
deadlines end by 2025-12. Prints counts and the realised yearly log growth per entry.
"""

from __future__ import annotations

import csv
import math
import re
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent / "data"
TARGET_COLS = (
    "id,pair,announced,target_usd_m,deadline,statement,target_source,base_period,base_usd_m,"
    "base_source,outcome_period,outcome_usd_m,outcome_source,met,quality,notes"
).split(",")
TRADE_COLS = "pair,statistic,period,value_usd_m,source,notes".split(",")
YEAR = re.compile(r"^(\d{4})$")
RANGE = re.compile(r"^(\d{4})-(\d{2})/(\d{4})-(\d{2})$")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
LAST_DEADLINE = 2025 * 12 + 11  # 2025-12

errors: list[str] = []


def fail(msg: str) -> None:
    errors.append(msg)


def period(text: str, where: str) -> tuple[int, int] | None:
    """(first, last) month indices of a period, or None (and an error)."""
    if m := YEAR.match(text):
        y = int(m[1])
        return y * 12, y * 12 + 11
    if m := RANGE.match(text):
        y1, m1, y2, m2 = map(int, m.groups())
        if not (1 <= m1 <= 12 and 1 <= m2 <= 12):
            fail(f"{where}: bad month in {text!r}")
            return None
        first, last = y1 * 12 + m1 - 1, y2 * 12 + m2 - 1
        if last < first:
            fail(f"{where}: {text!r} ends before it starts")
            return None
        return first, last
    fail(f"{where}: period {text!r} is neither YYYY nor YYYY-MM/YYYY-MM")
    return None


def number(text: str, where: str) -> float | None:
    try:
        v = float(text)
    except ValueError:
        fail(f"{where}: {text!r} is not a number")
        return None
    if not (v > 0 and math.isfinite(v)):
        fail(f"{where}: {text!r} is not a positive number")
        return None
    return v


def read(name: str, cols: list[str]) -> list[dict[str, str]]:
    with open(HERE / name, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames != cols:
            fail(f"{name}: columns {reader.fieldnames} != {cols}")
        return list(reader)


def main() -> int:
    trade = read("trade.csv", TRADE_COLS)
    seen = set()
    for i, r in enumerate(trade, 2):
        where = f"trade.csv line {i}"
        period(r["period"], where)
        number(r["value_usd_m"], where)
        for c in ("pair", "statistic", "source"):
            if not r[c].strip():
                fail(f"{where}: empty {c}")
        key = (r["pair"], r["statistic"], r["period"])
        if key in seen:
            fail(f"{where}: duplicate {key}")
        seen.add(key)

    targets = read("targets.csv", TARGET_COLS)
    ids = [r["id"] for r in targets]
    for dup in {x for x in ids if ids.count(x) > 1}:
        fail(f"targets.csv: id {dup} repeated")
    growth: list[tuple[str, float, float]] = []
    for r in targets:
        where = f"targets.csv {r['id']}"
        m = MONTH.match(r["announced"])
        if not m or not 1 <= int(m[2]) <= 12:
            fail(f"{where}: announced {r['announced']!r} is not YYYY-MM")
            continue
        announced = int(m[1]) * 12 + int(m[2]) - 1
        target = number(r["target_usd_m"], where)
        deadline = period(r["deadline"], where)
        if deadline and deadline[1] > LAST_DEADLINE:
            fail(f"{where}: deadline {r['deadline']} ends after 2025-12")
        outcome_p = period(r["outcome_period"], where)
        outcome = number(r["outcome_usd_m"], where)
        if not r["outcome_source"].strip() or not r["target_source"].strip():
            fail(f"{where}: missing source")
        if r["met"] not in ("yes", "no"):
            fail(f"{where}: met {r['met']!r}")
        if r["quality"] not in ("strong", "weak"):
            fail(f"{where}: quality {r['quality']!r}")
        if target and outcome and (r["met"] == "yes") != (outcome >= target):
            fail(f"{where}: met={r['met']} but outcome {outcome} vs target {target}")
        if (trade_key := (r["pair"], r["outcome_period"])) and not any(
            (t["pair"], t["period"]) == trade_key and float(t["value_usd_m"]) == outcome
            for t in trade
        ):
            fail(f"{where}: outcome not found in trade.csv")
        has_base = [bool(r[c].strip()) for c in ("base_period", "base_usd_m", "base_source")]
        if any(has_base) and not all(has_base):
            fail(f"{where}: base columns partly filled")
        if all(has_base):
            base_p = period(r["base_period"], where)
            base = number(r["base_usd_m"], where)
            if base_p and base_p[1] >= announced:
                fail(
                    f"{where}: base period {r['base_period']} does not end before {r['announced']}"
                )
            if not any(
                (t["pair"], t["period"]) == (r["pair"], r["base_period"])
                and float(t["value_usd_m"]) == base
                for t in trade
            ):
                fail(f"{where}: base not found in trade.csv")
            if base_p and outcome_p and base and outcome:
                # yearly run-rates, as sim.calibration.reference does
                b = base / ((base_p[1] - base_p[0] + 1) / 12)
                o = outcome / ((outcome_p[1] - outcome_p[0] + 1) / 12)
                years = ((outcome_p[0] + outcome_p[1]) / 2 - (base_p[0] + base_p[1]) / 2) / 12
                growth.append((r["id"], years, math.log(o / b) / years))

    met = sum(r["met"] == "yes" for r in targets)
    strong = sum(r["quality"] == "strong" for r in targets)
    ratios = [float(r["outcome_usd_m"]) / float(r["target_usd_m"]) for r in targets]
    print(
        f"trade.csv: {len(trade)} figures, {len({t['pair'] for t in trade})} pairs, "
        f"{len({(t['pair'], t['statistic']) for t in trade})} pair/statistic series"
    )
    print(
        f"targets.csv: {len(targets)} entries; met {met}, missed {len(targets) - met}; "
        f"strong {strong}, weak {len(targets) - strong}; with base {len(growth)}, "
        f"without base {len(targets) - len(growth)}"
    )
    print(
        f"median outcome/target {statistics.median(ratios):.3f} "
        f"(strong only {statistics.median([x for x, r in zip(ratios, targets) if r['quality'] == 'strong']):.3f})"
    )
    print("\nrealised yearly log growth ln(outcome/base)/years (run-rates, period midpoints):")
    for rid, years, g in sorted(growth, key=lambda x: x[2]):
        print(f"  {rid:16} {years:5.2f} y  {g:+.3f}")
    gs = [g for _, _, g in growth]
    print(
        f"\ngrowth: n={len(gs)} mean {statistics.mean(gs):+.3f} sd {statistics.stdev(gs):.3f} "
        f"median {statistics.median(gs):+.3f}"
    )
    strong_ids = {r["id"] for r in targets if r["quality"] == "strong"}
    gs_s = [g for rid, _, g in growth if rid in strong_ids]
    print(
        f"growth, strong rows only: n={len(gs_s)} mean {statistics.mean(gs_s):+.3f} "
        f"sd {statistics.stdev(gs_s):.3f}"
    )
    if errors:
        print(f"\n{len(errors)} PROBLEMS:")
        for e in errors:
            print("  " + e)
        return 1
    print("\nall checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
