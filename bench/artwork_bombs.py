"""Artwork upload check against decompression bombs: seconds and memory per bomb, and the worst.

Run from the repository root: `.venv/bin/python bench/artwork_bombs.py [--runs 3] [--timeout 120]`.
The corpus is `tests/print/artwork_bombs.py` (PDF content-stream, spaces, nested-form, image and
object-stream bombs; a PNG header claiming 10^10 pixels, the 60,000 × 1,000 strip, a 55 MP PNG for a
2.3 MP slot), generated in memory. Each check runs `check_artwork` in a fresh interpreter after a
warm-up check; its time is the check's own and its memory the child's peak RSS (VmHWM, reset just
before the check) over its RSS before. Targets: under 2 s and 200 MB for every bomb. Nothing is
written but a temporary file per check.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "print")]

from artwork_bombs import CORPUS, measure  # noqa: E402

TARGET_S = 2.0
TARGET_MB = 200.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="checks per bomb; the worst is printed")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a check counts as hung")
    args = parser.parse_args()

    print(f"{'bomb':<18} {'file KB':>8} {'worst s':>8} {'worst MB':>9}  result")
    worst_s = 0.0
    worst_mb = 0.0
    failed = False
    for bomb in CORPUS:
        data = bomb.make()
        seconds = 0.0
        mb = 0.0
        result: dict[str, object] = {}
        for _ in range(args.runs):
            result = measure(data, timeout=args.timeout)
            if result["timeout"]:
                break
            seconds = max(seconds, float(result["seconds"]))  # type: ignore[arg-type]
            mb = max(mb, float(result["rss_mb"]))  # type: ignore[arg-type]
        if result["timeout"]:
            seconds, mb, outcome = args.timeout, float("nan"), f"still checking after {args.timeout:.0f} s"
        elif result["ok"]:
            outcome = "ACCEPTED"
        else:
            outcome = "refused: " + ", ".join(result["codes"])  # type: ignore[arg-type]
        failed |= bool(result["timeout"] or result["ok"] or seconds >= TARGET_S or not mb < TARGET_MB)
        worst_s = max(worst_s, seconds)
        worst_mb = max(worst_mb, mb) if mb == mb else worst_mb
        print(f"{bomb.name:<18} {len(data) / 1024:>8.0f} {seconds:>8.2f} {mb:>9.1f}  {outcome}")
    print(
        f"worst: {worst_s:.2f} s (target < {TARGET_S:.0f} s), {worst_mb:.1f} MB (target < {TARGET_MB:.0f} MB)"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
