"""The conformance suite through PyTorch's own AOTI runner instead of aotic's.

Usage:  python3 tools/conformance/pytorch_runner.py --aotic AOTIC --shim-lib SHIM --conformance CONF
            [--device cuda|cpu] [--suite DIR] [--ci] [--ops A,B] [--dtypes D] [--variant V]
            [--shard I/N] [--jobs N] [--per-process N] [--timeout S] [--results FILE]
            [--against FILE] [--quiet]

`conformance` runs each program's model.so with aotic's own runner. This runs the same programs
as a PyTorch user does: each is compiled with `aotic compile` (`--device`, `--shim-lib`), loaded
with `torch._C._aoti.AOTIModelContainerRunnerCuda` (or `...Cpu`), run on the sample's inputs and
compared with the sample's references under the rules `conformance` uses (tolerance by dtype,
eigen- and singular vectors up to sign, integers and bool exactly). The samples are those
`CONF --list` selects with the same --suite/--ci/--ops/--dtypes/--variant/--shard, and the
outcomes have `conformance`'s names, so `--results` writes a file of its format.

Each of --jobs worker processes imports torch once and runs up to --per-process samples (one
CUDA context serves them). A worker leaves after a sample that did not pass; a sample that did
not pass in a worker that ran others is run again alone in a fresh one, and that outcome counts.
A crash or a timeout (--timeout seconds per sample, compile included) costs that sample alone.

`--against FILE` (a `conformance --results` file of the same suite and device) lists every
sample whose outcome here differs from aotic's own runner's there. Needs PyTorch and safetensors.
Exit status: 0, or 1 when --against found a difference.
"""
import argparse
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile

OUTCOMES = ["pass", "wrong_result", "wrong_dtype_shape", "unsupported", "error"]
TOLERANCE = {"float64": (1e-7, 1e-7), "float16": (2e-3, 1e-3), "bfloat16": (1.6e-2, 1e-2)}
# Outputs defined only up to the sign of each vector: (output index, vectors are columns).
SIGN_FREE = {
    "linalg.eigh": [(1, True)],
    "linalg.svd": [(0, True), (2, False)],
    "svd": [(0, True), (2, True)],
    "svd_lowrank": [(0, True), (2, True)],
    "pca_lowrank": [(0, True), (2, True)],
}
RANDOM_OPS = {"rand", "rand_like", "randn", "randn_like", "randint", "randint_like", "randperm",
              "bernoulli", "bernoulli_", "normal", "normal_", "uniform_", "multinomial",
              "exponential_", "geometric_", "cauchy_", "log_normal_", "random_", "poisson",
              "rrelu_with_noise", "native_dropout", "dropout", "feature_dropout", "alpha_dropout",
              "feature_alpha_dropout"}


def one_line(text, limit=600):
    return " ".join(str(text).split())[:limit]


# ---------------------------------------------------------------------------------------------
# The worker: one process, many samples.


def align_signs(torch, got, want, columns, given):
    """got with each vector's sign taken from want's largest element, as conformance does; vector k
    of batch b takes given's flip instead where given (the paired output's flips: U's for V) has
    one, so U and V flip together. Returns (got, its flips as a [batches, vectors] bool tensor, or
    None when nothing was aligned)."""
    if (got.shape != want.shape or got.dtype != want.dtype or got.dim() < 2 or
            got.dtype not in (torch.float32, torch.float64)):
        return got, None
    g = got if columns else got.transpose(-2, -1)  # vectors as columns: [..., length, vectors]
    w = want if columns else want.transpose(-2, -1)
    length, vectors = g.shape[-2], g.shape[-1]
    if length == 0 or vectors == 0:
        return got, None
    # The reference's largest element of each vector (the first of equals; a NaN never).
    at = w.abs().nan_to_num(nan=-1.0).argmax(dim=-2, keepdim=True)
    flips = ((w.gather(-2, at) < 0) != (g.gather(-2, at) < 0)).reshape(-1, vectors)
    if given is not None:
        batches, shared = min(given.shape[0], flips.shape[0]), min(given.shape[1], vectors)
        flips = flips.clone()
        flips[:batches, :shared] = given[:batches, :shared]
    g = torch.where(flips.reshape(g.shape[:-2] + (1, vectors)), -g, g)
    return (g if columns else g.transpose(-2, -1)), flips


def compare(torch, label, got, want):
    """(outcome, message) of one output against its reference, as aotic's runner compares."""
    if tuple(got.shape) != tuple(want.shape) or got.dtype != want.dtype:
        return "wrong_dtype_shape", (f"{label}: shape {list(got.shape)} {got.dtype} MISMATCH: expected shape "
                                     f"{list(want.shape)} {want.dtype}")
    got, want = got.reshape(-1), want.reshape(-1)
    if got.numel() == 0:
        return "pass", ""
    if got.dtype == torch.bool:
        bad = got != want
        err = bad.double()
        excess = err
    elif got.dtype in (torch.float16, torch.bfloat16, torch.float32, torch.float64):
        rtol, atol = TOLERANCE.get(str(got.dtype).replace("torch.", ""), (1e-4, 1e-5))
        x, y = got.double(), want.double()
        same = (x == y) | (x.isnan() & y.isnan())
        err = (x - y).abs()
        err = torch.where(err.isnan(), torch.full_like(err, float("inf")), err)
        excess = err - (atol + rtol * y.abs())
        excess = torch.where(excess.isnan(), torch.full_like(excess, float("inf")), excess)
        err = torch.where(same, torch.zeros_like(err), err)
        excess = torch.where(same, torch.full_like(excess, -1.0), excess)
        bad = excess > 0
    elif got.is_complex() or got.is_floating_point():  # complex, float8: byte for byte
        def raw(t):
            return t.contiguous().reshape(-1).view(torch.uint8).reshape(t.numel(), -1)
        bad = (raw(got) != raw(want)).any(dim=1)
        err = torch.where(bad, float("inf"), 0.0).double()
        excess = err
    else:  # integers: exactly
        bad = got != want
        err = (got.double() - want.double()).abs()
        excess = err
    if not bool(bad.any()):
        return "pass", ""
    worst = int(torch.where(bad, excess, torch.full_like(excess, -float("inf"))).argmax())
    return "wrong_result", (f"{label}: max_abs_err {float(err.max()):.3g} MISMATCH at flat index {worst}: "
                            f"got {got[worst].tolist()}, expected {want[worst].tolist()} "
                            f"({int(bad.sum())} of {got.numel()} elements differ)")


def run_one(torch, st_load, config, task, scratch):
    """(outcome, message) of one sample: compile, load in PyTorch's runner, run, compare."""
    suite, device = config["suite"], config["device"]
    entry, program = task["entry"], task["program"]
    work = tempfile.mkdtemp(prefix="s-", dir=scratch)
    try:
        with zipfile.ZipFile(os.path.join(suite, "ops", entry + ".zip")) as z:
            samples = json.loads(z.read("samples.json"))["samples"]
            # The sample whose files hold this program; its inputs and references are <id>.io.safetensors.
            record = next((s for s in samples if program in s.get("files", [])), None)
            if record is None:
                return "error", f"{entry}: samples.json lists no sample with the file {program}"
            io_name = record["id"] + ".io.safetensors"
            for name in (program, io_name):
                with open(os.path.join(work, name), "wb") as f:
                    f.write(z.read(name))
        so = os.path.join(work, "model.so")
        cmd = [config["aotic"], "compile", os.path.join(work, program), "--device", device, "-o", so,
               "--shim-lib", config["shim_lib"], "--quiet", "--opt", str(config["opt"])]
        if config["no_fuse"]:
            cmd.append("--no-fuse")
        cmd += config["aotic_flags"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            message = one_line((r.stderr or r.stdout).replace(work + "/", ""))
            if "unsupported op" in message:
                return "unsupported", message
            return "error", f"compile: {message}"
        io = st_load(open(os.path.join(work, io_name), "rb").read())
        inputs, wants = [], []
        while f"input_{len(inputs)}" in io:
            inputs.append(io[f"input_{len(inputs)}"].to(device))
        while f"output_{len(wants)}" in io:
            wants.append(io[f"output_{len(wants)}"])
        try:
            if device == "cuda":
                runner = torch._C._aoti.AOTIModelContainerRunnerCuda(so, 1, "cuda", work)
            else:
                runner = torch._C._aoti.AOTIModelContainerRunnerCpu(so, 1)
            outs = runner.run(inputs)
            if device == "cuda":
                torch.cuda.synchronize()
            outs = [o.cpu() for o in outs]
            del runner
        except Exception as e:
            return "error", f"run: {type(e).__name__}: {one_line(e)}"
        if len(outs) != len(wants):
            return "wrong_dtype_shape", f"{len(outs)} outputs, PyTorch gave {len(wants)}"
        outcome, message = "pass", ""
        flips = None
        sign_free = SIGN_FREE.get(entry, [])
        for i, (got, want) in enumerate(zip(outs, wants)):
            # The first sign-free output (U, or eigh's vectors) decides; a second (V) follows its flips.
            for k, (index, columns) in enumerate(sign_free):
                if index == i:
                    got, made = align_signs(torch, got, want, columns, flips if k > 0 else None)
                    if k == 0:
                        flips = made
            o, m = compare(torch, f"output_{i}", got, want)
            if o != "pass" and (outcome == "pass" or o == "wrong_dtype_shape"):
                outcome, message = o, m
        if outcome == "wrong_result":
            ops = record.get("core_ops" if program.endswith(".core.pt2") else "ops", [])
            random = [op for op in ops if op.startswith("aten.") and op.split(".")[1] in RANDOM_OPS]
            if random:
                message = f"calls {random[0]}, which may draw random numbers: {message}"
        return outcome, message
    finally:
        shutil.rmtree(work, ignore_errors=True)


def worker_main(config):
    """Reads tasks (JSON lines) from stdin, writes results (JSON lines) to stdout; leaves after a
    sample that did not pass (its CUDA context may be what broke)."""
    os.environ.setdefault("NVIDIA_TF32_OVERRIDE", "0")
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # what libraries print goes to stderr, not into the result pipe
    sys.stdout = sys.stderr
    import torch
    from safetensors.torch import load as st_load
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    if config["device"] == "cuda":
        torch.zeros(1, device="cuda")  # the CUDA context, made before the first sample's clock starts
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    scratch = tempfile.mkdtemp(prefix="aotic-pytorch-runner-")
    try:
        for line in sys.stdin:
            task = json.loads(line)
            try:
                outcome, message = run_one(torch, st_load, config, task, scratch)
            except Exception as e:
                outcome, message = "error", f"{type(e).__name__}: {one_line(e)}"
            out.write(json.dumps({"index": task["index"], "outcome": outcome, "message": one_line(message)}) + "\n")
            out.flush()
            if outcome != "pass":
                break
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# The parent: selection, workers, results.


class Worker:
    """A worker process (a session of its own: stopping it stops the compiler it may be running)
    and the sample it was given. The sample's clock starts when the worker says it is ready."""

    STARTUP_SECONDS = 300  # importing torch and making a CUDA context

    def __init__(self, config, alone, quiet, index, task):
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker", json.dumps(config)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL if quiet else None, text=True, bufsize=1,
                                     start_new_session=True)
        self.alone = alone  # runs one sample, then is given no more
        self.served = 0
        self.current = index
        self.task = task
        self.ready = False
        self.spawned = time.monotonic()
        self.start = None
        self.buffer = ""

    def give(self, index, task):
        self.current = index
        self.start = time.monotonic()
        try:
            self.proc.stdin.write(json.dumps(dict(task, index=index)) + "\n")
            self.proc.stdin.flush()
        except OSError:
            pass  # the worker is gone: its end of output reports the sample

    def deadline(self, timeout):
        return self.start + timeout if self.ready else self.spawned + self.STARTUP_SECONDS

    def retire(self):
        """No more work: the worker leaves by itself, removing its scratch folder (see retired())."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        self.retire_by = time.monotonic() + 30

    def retired(self, now):
        """Whether a retiring worker is gone; one that outstays its 30 s is killed."""
        if self.proc.poll() is not None:
            return True
        if now < self.retire_by:
            return False
        self.kill()
        return True

    def kill(self):
        """Kills the worker's whole session: it and the compiler it may be running."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        self.proc.wait()


def select_samples(args):
    cmd = [args.conformance, "--list", "--suite", args.suite]
    for flag in ("ops", "dtypes", "variant", "shard"):
        if getattr(args, flag):
            cmd += [f"--{flag}", getattr(args, flag)]
    if args.ci:
        cmd.append("--ci")
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"pytorch_runner: {' '.join(cmd)}: {one_line(r.stderr)}")
    tasks = []
    for key in r.stdout.split():
        entry, program = key.rsplit("/", 1)
        tasks.append({"entry": entry, "program": program})
    return tasks


def run_all(tasks, config, jobs, per_process, timeout, quiet, report):
    results = [None] * len(tasks)
    queue = list(range(len(tasks)))  # sample indices, in order
    again = []  # samples to run again alone
    workers = []
    retiring = []  # workers given no more work, leaving by themselves
    unstarted = [0]  # workers that ended before any worker sent a result
    received = [0]  # results the workers sent
    sel = selectors.DefaultSelector()

    def record(w, outcome, message):
        i = w.current
        w.current = None
        w.served += 1
        if outcome != "pass" and w.served > 1 and not w.alone:
            again.append(i)  # perhaps another sample's state: decide in a fresh process
        else:
            results[i] = (outcome, message, time.monotonic() - (w.start or w.spawned))
            report(i, results[i])

    def stop(w, outcome=None, message=None):
        if w.current is not None and outcome is not None:
            record(w, outcome, message)
        sel.unregister(w.proc.stdout)
        workers.remove(w)
        if outcome is None:
            w.retire()
            retiring.append(w)
        else:
            w.kill()

    while queue or again or workers:
        while len(workers) < jobs and (queue or again):
            alone = bool(again)
            i = again.pop(0) if alone else queue.pop(0)
            w = Worker(config, alone, quiet, i, tasks[i])
            workers.append(w)
            sel.register(w.proc.stdout, selectors.EVENT_READ, w)
        now = time.monotonic()
        wait = min((w.deadline(timeout) - now for w in workers), default=1.0)
        for key, _ in sel.select(timeout=max(0.05, wait)):
            w = key.data
            if w not in workers:
                continue
            chunk = os.read(w.proc.stdout.fileno(), 65536).decode(errors="replace")
            if not chunk:  # the worker ended
                try:
                    status = w.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    status = None
                why = ("closed its output and did not exit" if status is None else
                       f"crashed: signal {-status}" if status < 0 else
                       f"worker exited with status {status} and no result")
                if status is not None and status > 0 and w.served == 0 and not received[0]:
                    unstarted[0] += 1
                    if unstarted[0] > jobs + 2:
                        sys.exit(f"pytorch_runner: workers exit before any result ({why}): can they import torch "
                                 f"and safetensors? (run without --quiet to see their errors)")
                stop(w, "error", why)
                continue
            w.buffer += chunk
            while "\n" in w.buffer and w in workers:
                line, w.buffer = w.buffer.split("\n", 1)
                try:
                    r = json.loads(line)
                except ValueError:
                    stop(w, "error", f"the worker wrote a line that is not a result: {one_line(line, 200)}")
                    break
                if r.get("ready"):
                    w.ready = True
                    w.give(w.current, w.task)
                    continue
                received[0] += 1
                record(w, r["outcome"], r["message"])
                if r["outcome"] != "pass" or w.alone or w.served >= per_process or not queue:
                    stop(w)
                else:
                    i = queue.pop(0)
                    w.give(i, tasks[i])
        now = time.monotonic()
        for w in list(workers):
            if w.current is not None and now > w.deadline(timeout):
                stop(w, "error", "timed out" if w.ready else "the worker did not start (importing torch)")
        retiring[:] = [w for w in retiring if not w.retired(now)]
    while retiring:
        time.sleep(0.05)
        now = time.monotonic()
        retiring[:] = [w for w in retiring if not w.retired(now)]
    return results


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        worker_main(json.loads(sys.argv[2]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--aotic", required=True)
    ap.add_argument("--shim-lib", required=True)
    ap.add_argument("--conformance", required=True, help="the conformance binary (selects the samples)")
    ap.add_argument("--aotic-flags", default="")
    ap.add_argument("--opt", type=int, default=1, help="the compiler's -O, as conformance's (default 1)")
    ap.add_argument("--no-fuse", action="store_true")
    ap.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    ap.add_argument("--suite", default="tests/data/opinfo")
    ap.add_argument("--ci", action="store_true")
    ap.add_argument("--ops")
    ap.add_argument("--dtypes")
    ap.add_argument("--variant")
    ap.add_argument("--shard")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--per-process", type=int, default=64)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--results")
    ap.add_argument("--against")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    if args.jobs < 1 or args.per_process < 1 or args.timeout <= 0:
        sys.exit("pytorch_runner: --jobs and --per-process must be at least 1, --timeout positive")
    config = {"suite": os.path.abspath(args.suite), "device": args.device, "aotic": os.path.abspath(args.aotic),
              "shim_lib": os.path.abspath(args.shim_lib), "aotic_flags": args.aotic_flags.split(),
              "opt": args.opt, "no_fuse": args.no_fuse}
    tasks = select_samples(args)
    start = time.monotonic()
    done = [0]

    def report(i, result):
        done[0] += 1
        if not args.quiet or result[0] != "pass":
            t = tasks[i]
            print(f"[{done[0]}/{len(tasks)}] {t['entry']}/{t['program']}: {result[0]} {result[1][:200]}",
                  flush=True)

    results = run_all(tasks, config, args.jobs, args.per_process, args.timeout, args.quiet, report)
    keys = [f"{t['entry']}/{t['program']}" for t in tasks]
    if args.results:
        with open(args.results, "w") as f:
            for key, (outcome, message, seconds) in sorted(zip(keys, results)):
                f.write(f"{key}\t{outcome}\t{seconds:.2f}\t{message}\n")
    counts = {o: sum(1 for r in results if r[0] == o) for o in OUTCOMES}
    print(f"pytorch_runner ({args.device}): {len(tasks)} programs in {time.monotonic() - start:.0f} s: " +
          ", ".join(f"{counts[o]} {o}" for o in OUTCOMES))
    status = 0
    if args.against:
        theirs = {}
        with open(args.against) as f:
            for line in f:
                fields = line.rstrip("\n").split("\t")
                if len(fields) >= 2:
                    theirs[fields[0]] = (fields[1], fields[3] if len(fields) > 3 else "")
        differ = 0
        for key, (outcome, message, _) in sorted(zip(keys, results)):
            other = theirs.get(key)
            if other is None:
                print(f"  {key}: not in {args.against}")
                differ += 1
            elif other[0] != outcome:
                print(f"  {key}: PyTorch's runner {outcome} ({message[:160]}); aotic's runner {other[0]} "
                      f"({other[1][:160]})")
                differ += 1
        print(f"against {args.against}: {differ} of {len(tasks)} outcomes differ")
        status = 1 if differ else 0
    return status


if __name__ == "__main__":
    sys.exit(main())
