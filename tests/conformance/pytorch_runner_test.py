"""The scheduler of tools/conformance/pytorch_runner.py (run_all), with fake_runner_worker.py in place of
its torch worker: every sample recorded once; a failure after other samples in a worker decided by a
run alone; crashes, hangs (a timeout kills the worker's child processes too) and stray output cost
their sample only. Prints "pytorch_runner scheduler: ok" and exits 0, or exits 1 naming the problem.

  python3 tests/conformance/pytorch_runner_test.py
"""
import os
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "tools", "conformance"))
import pytorch_runner  # noqa: E402

pytorch_runner.__file__ = os.path.join(here, "fake_runner_worker.py")  # what Worker starts

scratch = tempfile.mkdtemp(prefix="pytorch-runner-test-")
expected = {
    "p1": "pass", "p2": "pass", "f1": "wrong_result", "p3": "pass", "c1": "error", "p4": "pass",
    "o1": "pass", "p5": "pass", "h1": "error", "p6": "pass", "n1": "error", "p7": "pass", "o2": "pass",
    "p8": "pass", "p9": "pass", "f2": "wrong_result",
}
names = list(expected)
tasks = [{"entry": n, "program": os.path.join(scratch, n + ".pid")} for n in names]
reported = []
start = time.monotonic()
results = pytorch_runner.run_all(tasks, {}, jobs=3, per_process=4, timeout=3, quiet=True,
                                 report=lambda i, r: reported.append(i))
problems = []
if sorted(reported) != list(range(len(names))):
    problems.append(f"samples reported {sorted(reported)}, expected each of 0..{len(names) - 1} once")
for name, result in zip(names, results):
    if result is None or result[0] != expected[name]:
        problems.append(f"{name}: {result}, expected {expected[name]}")
messages = {name: result[1] for name, result in zip(names, results) if result}
for name, want in (("c1", "crashed: signal 11"), ("h1", "timed out"), ("n1", "not a result")):
    if want not in messages.get(name, ""):
        problems.append(f"{name}: message {messages.get(name)!r} does not say {want!r}")
# The hanging worker's child (sleep) went with it: gone, or a zombie, within seconds.
def running(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


for pid_file in os.listdir(scratch):
    pid = int(open(os.path.join(scratch, pid_file)).read())
    deadline = time.monotonic() + 5
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if running(pid):
        problems.append(f"the timed-out worker's child {pid} is still running")
        os.kill(pid, 9)
if problems:
    print("pytorch_runner scheduler: FAILED\n  " + "\n  ".join(problems))
    sys.exit(1)
print(f"pytorch_runner scheduler: ok ({len(names)} samples in {time.monotonic() - start:.1f} s)")
