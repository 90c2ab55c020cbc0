"""benchmarks/class_load.py's CPU accounting: a process tree's CPU time, read from /proc."""
import subprocess
import sys
import time

from harness.server import cpu_seconds

SPIN = "import time\nt = time.process_time()\nwhile time.process_time() - t < {s}: pass\n"
# The child spins 0.65 s: /proc counts whole clock ticks, and a child that spun exactly 0.6 s with a quick
# start-up can stay at 0.59 s there for good (seen once in CI), so the wait below would never end.
CHILD = SPIN.format(s=0.65) + "input()\n"
PARENT = (SPIN.format(s=0.3) + "import subprocess, sys\n"
          f"c = subprocess.Popen([sys.executable, '-c', {CHILD!r}], stdin=subprocess.PIPE)\n"
          "print(c.pid, flush=True)\nsys.stdin.readline()\nc.communicate(b'\\n')\n")


def test_cpu_seconds_counts_a_process_and_every_process_below_it():
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        child = int(parent.stdout.readline())  # the parent has spun its 0.3 s
        deadline = time.monotonic() + 20
        while cpu_seconds(child) < 0.6 and time.monotonic() < deadline:  # the child spins its 0.6 s
            time.sleep(0.05)
        mine = cpu_seconds(child)
        both = cpu_seconds(parent.pid)
        assert 0.6 <= mine < 0.8, mine  # the child alone, with its Python start-up
        assert 0.9 <= both < 1.2, both  # the parent's 0.3 s too
        assert both - mine >= 0.3
    finally:
        parent.communicate(b"\n", timeout=10)
