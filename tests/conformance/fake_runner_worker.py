"""A stand-in for tools/conformance/pytorch_runner.py's worker, for pytorch_runner_test.py: the same
protocol (a ready line, then a JSON task per line in, a JSON result per line out), no torch. The
sample's entry name says what to do: p.. pass, f.. fail, c.. crash (SIGSEGV), h.. hang with a child
process, n.. write a line that is no result, o.. fail only after another sample ran in this process."""
import json
import os
import signal
import subprocess
import sys
import time

out = sys.stdout
out.write(json.dumps({"ready": True}) + "\n")
out.flush()
served = 0
for line in sys.stdin:
    task = json.loads(line)
    entry = task["entry"]
    if entry.startswith("c"):
        os.kill(os.getpid(), signal.SIGSEGV)
    if entry.startswith("h"):
        with open(task["program"], "w") as f:  # the child's pid, for the test to check it is gone
            f.write(str(subprocess.Popen(["sleep", "600"]).pid))
        time.sleep(600)
    if entry.startswith("n"):
        out.write("not a result\n")
        out.flush()
        continue
    if entry.startswith("o"):
        outcome = "wrong_result" if served else "pass"
    else:
        outcome = "pass" if entry.startswith("p") else "wrong_result"
    served += 1
    out.write(json.dumps({"index": task["index"], "outcome": outcome, "message": entry}) + "\n")
    out.flush()
    if outcome != "pass":
        break
