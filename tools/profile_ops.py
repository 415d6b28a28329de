"""Where a model's time goes, op by op and shape by shape, against PyTorch's frozen torch.compile:
for a .pt2 and one or more model.so built from it, on a machine with PyTorch 2.x (the GPU machine's
CPU). The model.so files (PyTorch's runner, torch._C._aoti.AOTIModelContainerRunnerCpu) and
torch.compile with torch._inductor.config.freezing = True run interleaved in one process, so that
the machine's drift hits them alike; then each is profiled (torch.profiler, shapes recorded) and
its ops are listed by self time, one row per op and input shapes.

  python3 tools/profile_ops.py MODEL.pt2 A.so [B.so ...] [--threads 16,1] [--no-inductor]
      [--top 12] [--trace-dir DIR]

MODEL.pt2 needs MODEL.io.safetensors beside it (input_0, ...). --trace-dir writes a Chrome trace
per runner and thread count (with input strides and constant arguments). This is how resnet18's
slow strided 1x1 convolution was found: one row of the table at 8.4 ms where Inductor's took 0.25.
"""
import argparse
import os
import sys
import time


def p50(values):
    values = sorted(values)
    return values[len(values) // 2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("pt2")
    parser.add_argument("so", nargs="+")
    parser.add_argument("--threads", default="16,1")
    parser.add_argument("--no-inductor", action="store_true")
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--trace-dir")
    args = parser.parse_args()

    import torch
    from safetensors.torch import load_file
    from torch.profiler import ProfilerActivity, profile

    io = load_file(args.pt2[:-4] + ".io.safetensors")
    inputs = [io[k] for k in sorted((k for k in io if k.startswith("input_")), key=lambda k: int(k[6:]))]
    runs = {}
    for so in args.so:
        runner = torch._C._aoti.AOTIModelContainerRunnerCpu(os.path.abspath(so), 1)
        runs[os.path.basename(so)] = lambda r=runner: r.run(inputs)
    if not args.no_inductor:
        module = torch.export.load(args.pt2).module()
        torch._inductor.config.freezing = True
        with torch.no_grad():
            compiled = torch.compile(module)
            compiled(*inputs)
        runs["inductor_freezing"] = lambda: compiled(*inputs)

    for threads in (int(t) for t in args.threads.split(",")):
        torch.set_num_threads(threads)
        times = {name: [] for name in runs}
        with torch.no_grad():
            for fn in runs.values():
                for _ in range(5):
                    fn()
            for _ in range(args.rounds):
                for name, fn in runs.items():
                    for _ in range(10 if threads > 1 else 3):
                        start = time.perf_counter()
                        fn()
                        times[name].append((time.perf_counter() - start) * 1e3)
            print(f"threads {threads}, p50 ms: " + "  ".join(f"{n} {p50(t):.3f}" for n, t in times.items()))
            for name, fn in runs.items():
                with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
                    for _ in range(10):
                        fn()
                if args.trace_dir:
                    os.makedirs(args.trace_dir, exist_ok=True)
                    prof.export_chrome_trace(os.path.join(args.trace_dir, f"{name}.threads{threads}.json"))
                rows = sorted(prof.key_averages(group_by_input_shape=True), key=lambda e: -e.self_cpu_time_total)
                total = sum(e.self_cpu_time_total for e in rows) / 10 / 1e3
                print(f"--- {name}, threads {threads}: {total:.3f} ms of op self time per run")
                for e in rows[: args.top]:
                    print(
                        f"  {e.key[:40]:40s} calls/run {e.count / 10:4.1f}  us/call {e.self_cpu_time_total / e.count:9.1f}"
                        f"  {str(e.input_shapes)[:100]}"
                    )
            sys.stdout.flush()


if __name__ == "__main__":
    main()
