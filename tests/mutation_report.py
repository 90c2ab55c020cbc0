"""Scores from `mutmut results --all true`: killed share of the non-equivalent mutants, per module.

    python tests/mutation_report.py artifacts/mutation.txt

Mutants listed in tests/mutation_equivalent.txt (one name per line, then `#` and why) change nothing a
caller can observe, so they count neither as killed nor as survived. Mutants mutmut never tested (it stopped
early) make the report fail rather than read as survivors.
"""
import re
import sys
from collections import Counter
from pathlib import Path

EQUIVALENT = Path(__file__).with_name("mutation_equivalent.txt")


def main(path: str) -> int:
    equivalent = {line.split("#")[0].strip() for line in EQUIVALENT.read_text().splitlines()} - {""} \
        if EQUIVALENT.exists() else set()
    counts: dict[str, Counter] = {}
    survivors = []
    for line in Path(path).read_text().splitlines():
        m = re.match(r"\s*(mnistcore\.\w+)\.(\S+): (.+)$", line)
        if not m:
            continue
        module, name, status = m.group(1), f"{m.group(1)}.{m.group(2)}", m.group(3).strip()
        c = counts.setdefault(module, Counter())
        if status == "not checked":
            c["not checked"] += 1
        elif name in equivalent:
            c["equivalent"] += 1
        elif status in ("killed", "segfault") or status.startswith("timeout"):  # a crashed test run noticed it too
            c["killed"] += 1
        else:
            c["not killed"] += 1
            survivors.append(f"{name}: {status}")
    for module, c in sorted(counts.items()):
        scored = c["killed"] + c["not killed"]
        print(f"{module:24} {c['killed']:4} of {scored:4} killed ({c['killed'] / max(scored, 1):.1%}), "
              f"{c['equivalent']} judged equivalent")
    unchecked = sum(c["not checked"] for c in counts.values())
    if unchecked:  # mutmut stopped before testing them (a failing clean run, say): no score to give
        print(f"\n{unchecked} mutants were never tested: mutmut stopped early, and its output above says why")
        return 1
    print("\n".join(["", "not killed:"] + survivors) if survivors else "\nevery non-equivalent mutant killed")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
