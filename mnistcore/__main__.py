"""Command line: `python -m mnistcore inspect FILE` and `python -m mnistcore evaluate MODEL --data DIR`.

Exit status 0 on success, 2 with a one-line explanation (no traceback) for a file we refuse.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .data import DataFileError
from .params import ModelFileError


def cmd_inspect(args) -> None:
    from .load import load_params
    params = load_params(args.file)
    print(f"{args.file}: {len(params.Ws)} linear layers, {params.n_params:,} parameters")
    for l, (W, b) in enumerate(zip(params.Ws, params.bs), start=1):
        act = "ReLU" if l < len(params.Ws) else "softmax"
        print(f"  layer {l}: W{l} {W.shape[0]}x{W.shape[1]}, b{l} {b.shape[0]}  -> {act}")


def cmd_evaluate(args) -> None:
    from .evaluate import evaluate_model, format_report
    print(format_report(evaluate_model(args.model, args.data)))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m mnistcore", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    ins = sub.add_parser("inspect", help="print a model file's layer shapes and parameter count")
    ins.add_argument("file", type=Path)
    ins.set_defaults(run=cmd_inspect)
    ev = sub.add_parser("evaluate", help="accuracy, per-class accuracy and loss on the 10,000 MNIST test images")
    ev.add_argument("model", type=Path, help="a model file (.pth, .safetensors, .npz)")
    ev.add_argument("--data", type=Path, required=True, metavar="DIR", help="the folder with MNIST's four IDX files (.gz)")
    ev.set_defaults(run=cmd_evaluate)
    args = p.parse_args(argv)
    try:
        args.run(args)
    except (ModelFileError, DataFileError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`... | head`): stop quietly, as other tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit's flush
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
