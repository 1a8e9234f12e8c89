"""`python -m bench.quality [SECTION...] [--quick]`: run some quality sections only."""

from __future__ import annotations

import argparse

from bench import quality


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quality")
    parser.add_argument(
        "names",
        nargs="*",
        metavar="SECTION",
        help=f"sections: {', '.join(quality.sections())} (default: all)",
    )
    parser.add_argument("--quick", action="store_true", help="fewer folds or clips")
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(quality.sections())
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    results = quality.run(quick=args.quick, names=args.names or None)
    print()
    print(quality.render(results))
    return 1 if any("error" in result for result in results.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
