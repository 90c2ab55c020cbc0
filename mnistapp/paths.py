"""Where the repository keeps what the app, training, tests and benchmarks read: MNIST and the shipped model.

The engine names no path of its own; callers pass these in. Paths resolve from this file, never from the
current directory.
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"                       # MNIST's four IDX files
DRAWN_DIGITS = DATA_DIR / "drawn-digits.npz"   # pen-drawn training digits "not sure" compares with
SHIPPED_MODEL = ROOT / "mnist_model.pth"       # the network training/train.py writes and the app loads
SHIPPED_CARD = SHIPPED_MODEL.with_suffix(".json")
