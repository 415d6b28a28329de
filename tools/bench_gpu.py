"""aotic against what PyTorch users would pick instead, on a machine with PyTorch 2.x (the GPU machine's
CPU): for each .pt2, in one run and at the same thread count, PyTorch eager, torch.compile (default)
and torch.compile with torch._inductor.config.freezing = True, all on torch.export.load(path).module(),
next to aotic's model.so (fused and --no-fuse) loaded by PyTorch's own runner
(torch._C._aoti.AOTIModelContainerRunnerCpu). Prints a table and writes JSON.

  python3 tools/bench_gpu.py --aotic bin/aotic --shim-lib libaotic_shim.so --threads 16 \
      [--iters 200] [--json out.json] [--no-compile] [--memory] [--aotic-flags '--isa native'] MODEL.pt2 [...]

With --device cuda the same on the GPU: the program moved to the GPU
(torch.export.passes.move_to_device_pass), PyTorch eager, torch.compile (default) and
torch.compile(mode="reduce-overhead") (CUDA graphs), against aotic's model.so compiled with
`--device cuda` in torch._C._aoti.AOTIModelContainerRunnerCuda; each call timed to the end of the
GPU's work (torch.cuda.synchronize). The shim library must then be built with --cuda.

Each MODEL.pt2 needs MODEL.io.safetensors beside it (input_0, ...; output_0, ... to check against).
The shim library is aotic's shim built against this PyTorch (tools/build_shim.sh --torch DIR).
Compile times: `aotic compile` wall time; torch.compile's is its first call (after one warm-up
compile of a small function, so that the first model's time does not carry torch.compile's
one-time start-up; aotic likewise compiles the first model once, uncounted, so that no model's time
carries reading the host compiler from a cold disk cache; Inductor's caches off, TORCHINDUCTOR_FORCE_DISABLE_CACHES=1, so that an earlier
run on the machine does not make it a cache hit). Latency: every way
is built first, then timed in `--rounds` interleaved rounds (default 3, each round in another
order) of `iters` calls after warm-up; a way's p50 and p90 are the medians over its rounds.
Peak memory: the peak RSS of a fresh process that imports torch, loads
the model one way and runs it (eager, aotic), in MB.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def percentile(values, p):
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


SYNC = lambda: None  # torch.cuda.synchronize with --device cuda


def timed(fn, iters, warmup=20):
    for _ in range(warmup):
        fn()
    SYNC()
    ts = []
    for _ in range(iters):
        t = time.perf_counter()
        fn()
        SYNC()
        ts.append((time.perf_counter() - t) * 1e3)
    return percentile(ts, 50), percentile(ts, 90)


def load_io(path):
    from safetensors.torch import load_file
    io = load_file(path)
    inputs = [io[k] for k in sorted((k for k in io if k.startswith("input_")), key=lambda k: int(k[6:]))]
    outputs = [io[k] for k in sorted((k for k in io if k.startswith("output_")), key=lambda k: int(k[7:]))]
    return inputs, outputs


def close(outs, refs):
    import torch
    if len(outs) != len(refs):
        return False
    for o, r in zip(outs, refs):
        o = o.cpu()
        if o.shape != r.shape or not torch.allclose(o.double(), r.double(), rtol=1e-4, atol=1e-5):
            return False
    return True


def peak_memory(mode, model, io, so, threads):
    """Peak RSS (MB) of a fresh process running the model `mode` = eager | aotic."""
    code = f"""
import torch
torch.set_num_threads({threads})
from safetensors.torch import load_file
io = load_file({io!r})
xs = [io[k] for k in sorted((k for k in io if k.startswith('input_')), key=lambda k: int(k[6:]))]
if {mode!r} == 'eager':
    m = torch.export.load({model!r}).module()
    with torch.no_grad():
        for _ in range(20): m(*xs)
else:
    r = torch._C._aoti.AOTIModelContainerRunnerCpu({so!r}, 1)
    for _ in range(20): r.run(xs)
# VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child would report at least
# this benchmark's own (large) resident size.
print([int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:')][0] / 1024)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    try:
        return float(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+")
    ap.add_argument("--aotic", required=True)
    ap.add_argument("--shim-lib", required=True)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--iters", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds (medians reported)")
    ap.add_argument("--json")
    ap.add_argument("--aotic-flags", default="", help="extra `aotic compile` flags, e.g. '--isa native'")
    ap.add_argument("--no-compile", action="store_true", help="skip torch.compile (fast runs)")
    ap.add_argument("--memory", action="store_true", help="also measure peak RSS (fresh processes)")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")

    if not args.no_compile:
        # A user's first compile: no cached graphs or kernels from an earlier run on this machine.
        os.environ.setdefault("TORCHINDUCTOR_FORCE_DISABLE_CACHES", "1")
    import torch
    global SYNC
    cuda = args.device == "cuda"
    if cuda:
        SYNC = torch.cuda.synchronize
    torch.set_num_threads(args.threads)
    work = tempfile.mkdtemp(prefix="aotic-bench-")
    rows = []
    if not args.no_compile:
        # torch.compile's first use in a process pays for imports and its worker pool: paid here,
        # on a function of its own, so that no model's compile time carries it.
        torch._dynamo.reset()
        torch.compile(lambda x: (x.relu() + 1).sum())(torch.ones(8, device=args.device))
        torch._dynamo.reset()
    # The same for aotic: its first compile on a fresh machine reads the host compiler and the
    # headers from disk (0.45 s against 0.22 s for small_cnn on the GPU machine). Paid here, on the
    # first model compiled to a file of its own, and reported, so no model's compile time carries it.
    first_compile_s = None
    if args.models:
        t = time.perf_counter()
        subprocess.run([args.aotic, "compile", args.models[0], "-o", os.path.join(work, "warm-up.so"),
                        "--shim-lib", args.shim_lib] + (["--device", "cuda"] if args.device == "cuda" else []) +
                       args.aotic_flags.split(), capture_output=True, text=True)
        first_compile_s = time.perf_counter() - t
        print(f"aotic's first compile (warm-up, not counted): {first_compile_s:.2f} s", flush=True)
    for model in args.models:
        name = os.path.basename(model)[:-4]
        io_path = model[:-4] + ".io.safetensors"
        inputs, refs = load_io(io_path)
        inputs = [x.to(args.device) for x in inputs]
        row = {"model": name, "threads": args.threads, "p50_ms": {}, "p90_ms": {}, "compile_s": {}, "ok": {}}

        # aotic: compiled here, loaded by PyTorch's runner.
        device_flags = ["--device", "cuda"] if cuda else []
        runners = {}
        for mode, flags in (("aotic", device_flags), ("aotic_no_fuse", device_flags + ["--no-fuse"])):
            so = os.path.join(work, f"{name}.{mode}.so")
            t = time.perf_counter()
            r = subprocess.run([args.aotic, "compile", model, "-o", so, "--shim-lib", args.shim_lib] + flags +
                               args.aotic_flags.split(),
                               capture_output=True, text=True)
            row["compile_s"][mode] = time.perf_counter() - t
            if r.returncode != 0:
                print(f"{name}: aotic compile {mode} failed: {(r.stdout + r.stderr).strip()[-400:]}", flush=True)
                continue
            try:
                if cuda:
                    runner = torch._C._aoti.AOTIModelContainerRunnerCuda(so, 1, "cuda", work)
                else:
                    runner = torch._C._aoti.AOTIModelContainerRunnerCpu(so, 1)
                row["ok"][mode] = close(runner.run(inputs), refs)
            except Exception as e:  # noqa: BLE001 - report and go on
                print(f"{name}: aotic {mode} failed to run: {e}", flush=True)
                continue
            runners[mode] = runner
            row.setdefault("so", {})[mode] = so
        calls = {mode: (lambda r=runner: r.run(inputs)) for mode, runner in runners.items()}

        ep = torch.export.load(model)
        if cuda:
            # A CPU export names its device in factory ops too: move the whole program.
            from torch.export.passes import move_to_device_pass
            ep = move_to_device_pass(ep, "cuda")
        m = ep.module()
        with torch.no_grad():
            out = m(*inputs)
            row["ok"]["eager"] = close(out if isinstance(out, (list, tuple)) else [out], refs) if refs else None
            calls["eager"] = lambda: m(*inputs)
            if not args.no_compile:
                peer_modes = ((("inductor", False, "default"), ("inductor_cudagraphs", False, "reduce-overhead"))
                              if cuda else (("inductor", False, "default"), ("inductor_freezing", True, "default")))
                for mode, freezing, compile_mode in peer_modes:
                    torch._dynamo.reset()
                    torch._inductor.config.freezing = freezing
                    try:
                        c = torch.compile(m, mode=compile_mode)
                        t = time.perf_counter()
                        out = c(*inputs)
                        row["compile_s"][mode] = time.perf_counter() - t
                        row["ok"][mode] = close(out if isinstance(out, (list, tuple)) else [out], refs)
                        calls[mode] = lambda c=c: c(*inputs)
                    except Exception as e:  # noqa: BLE001 - report and go on
                        print(f"{name}: torch.compile {mode} failed: {e}", flush=True)
                torch._inductor.config.freezing = False
            # Every way timed in `rounds` interleaved rounds, each round in another order; a way's
            # p50 and p90 are the medians over its rounds. A machine whose speed drifts (other
            # tenants, clocks) then moves every column alike instead of one.
            modes = list(calls)
            per_round = {mode: [] for mode in modes}
            for k in range(args.rounds):
                order = modes[k % len(modes):] + modes[:k % len(modes)]
                if k % 2:
                    order.reverse()
                for mode in order:
                    per_round[mode].append(timed(calls[mode], args.iters))
            for mode, results in per_round.items():
                row["p50_ms"][mode] = statistics.median(r[0] for r in results)
                row["p90_ms"][mode] = statistics.median(r[1] for r in results)
                row.setdefault("rounds_p50_ms", {})[mode] = [r[0] for r in results]
        if args.memory and "aotic" in row.get("so", {}):
            row["peak_mb"] = {"eager": peak_memory("eager", model, io_path, None, args.threads),
                              "aotic": peak_memory("aotic", model, io_path, row["so"]["aotic"], args.threads)}
        rows.append(row)
        p = row["p50_ms"]
        second = "inductor_cudagraphs" if cuda else "inductor_freezing"
        peers = [p[k] for k in ("eager", "inductor", second) if k in p] if cuda else \
            [p[k] for k in ("inductor", second) if k in p]
        best = min(peers) if peers else None
        fmt = lambda v: f"{v:8.3f}" if isinstance(v, float) else f"{'-':>8}"
        print(f"{name:22s} {'cuda' if cuda else f'T={args.threads:<3d}'} eager {fmt(p.get('eager'))} "
              f"inductor {fmt(p.get('inductor'))} {'cudagraphs' if cuda else 'freezing'} {fmt(p.get(second))} "
              f"aotic {fmt(p.get('aotic'))} "
              f"no-fuse {fmt(p.get('aotic_no_fuse'))} | aotic/best-{'peer' if cuda else 'inductor'} "
              f"{(p['aotic'] / best) if best and 'aotic' in p else float('nan'):.2f} aotic/eager "
              f"{(p['aotic'] / p['eager']) if 'aotic' in p else float('nan'):.2f} | compile s: aotic "
              f"{row['compile_s'].get('aotic', float('nan')):.2f} inductor "
              f"{row['compile_s'].get('inductor', float('nan')):.2f} | ok {row['ok']}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"aotic_first_compile_s": first_compile_s, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
