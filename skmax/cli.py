"""The ``skmax`` command line."""

from __future__ import annotations

import argparse
import sys

import numpy as np

from skmax import __version__
from skmax.special import log_softmax, logsumexp, softmax


def _demo(args: argparse.Namespace) -> int:
    logits = np.array(
        [
            [2.0, 1.0, 0.1],
            [1000.0, 999.0, -1000.0],  # naive exp overflows here
            [-1e300, 0.0, 1e300],  # ... and here, far more
        ]
    )
    np.set_printoptions(precision=6, suppress=False)
    print("skmax", __version__, "- the softmax core on example logits\n")
    print("logits:\n", logits)
    print("\nsoftmax (rows sum to one, no overflow):\n", softmax(logits))
    print("\nlog_softmax (exact where log(softmax) would give -inf):\n")
    print(log_softmax(logits))
    print("\nlogsumexp:\n", logsumexp(logits))
    print("\nsoftmax at temperature 2 (softer):\n", softmax(logits[:1], temperature=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="skmax",
        description="Numerically stable softmax tools for scikit-learn.",
    )
    parser.add_argument("--version", action="version", version=f"skmax {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser("demo", help="run the demonstration on bundled data")
    demo.set_defaults(handler=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help(sys.stderr)
        return 2
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
