"""Checks aotic's CUDA model.so files against PyTorch on a GPU machine (PyTorch 2.x, nvcc, aotic's
shim built with `tools/build_shim.sh --torch DIR --cuda`): for each MODEL.pt2 (with
MODEL.io.safetensors beside it, or the part of the name before the first dot + .io.safetensors)
compiles it with `aotic compile --device cuda`, then through PyTorch's own
torch._C._aoti.AOTIModelContainerRunnerCuda with 2 instances:

- 6 runs alternating two input sets (the reference's inputs, and those scaled: with CUDA graphs
  the first run warms up, the second is captured and replayed, later ones replay, so the graph's
  input buffers must be refreshed), each compared with PyTorch eager on the program moved to the
  GPU (torch.export.passes.move_to_device_pass);
- 2 threads x 40 runs on 2 streams, alternating the input sets.

Where PyTorch cannot run the program's module on the GPU, the reference is the module on the CPU;
where it cannot on either, the outputs stored in the io file (first input set only).

  python3 tools/check_cuda.py --aotic bin/aotic --shim-lib /tmp/shim/libaotic_shim.so MODEL.pt2 ...

Prints one line per model; exits 1 when any run differs (float32 rtol 1e-4, atol 1e-5).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import threading


def close(a, b):
    """a matches the reference b (None: a run whose outputs are not compared)."""
    import torch
    if b is None:
        return True
    return len(a) == len(b) and all(
        x.shape == y.shape and torch.allclose(x.double().cpu(), y.double().cpu(), rtol=1e-4, atol=1e-5)
        for x, y in zip(a, b))


def io_path(model):
    own = model[:-4] + ".io.safetensors"
    return own if os.path.exists(own) else os.path.join(
        os.path.dirname(model), os.path.basename(model).split(".")[0] + ".io.safetensors")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+")
    ap.add_argument("--aotic", required=True)
    ap.add_argument("--shim-lib", required=True)
    ap.add_argument("--aotic-flags", default="")
    args = ap.parse_args()

    import torch
    from safetensors.torch import load_file
    from torch.export.passes import move_to_device_pass

    work = tempfile.mkdtemp(prefix="aotic-check-cuda-")
    failed = False
    for model in args.models:
        name = os.path.basename(model)[:-4]
        so = os.path.join(work, name + ".so")
        r = subprocess.run([args.aotic, "compile", model, "--device", "cuda", "-o", so, "--shim-lib", args.shim_lib,
                            "--quiet"] + args.aotic_flags.split(), capture_output=True, text=True)
        if r.returncode != 0:
            print(f"{name}: compile failed: {(r.stdout + r.stderr).strip()[-300:]}", flush=True)
            failed = True
            continue
        io = load_file(io_path(model))
        xs = [io[k].cuda() for k in sorted((k for k in io if k.startswith("input_")), key=lambda k: int(k[6:]))]
        xs2 = [x * 0.5 + 0.25 if x.is_floating_point() else x for x in xs]
        note = ""
        try:
            m = move_to_device_pass(torch.export.load(model), "cuda").module()
            with torch.no_grad():
                refs = [list(o) if isinstance(o, (list, tuple)) else [o] for o in (m(*xs), m(*xs2))]
        except Exception as e:
            # PyTorch's module fails on the GPU (some exports with in-place updates do after
            # move_to_device_pass): the reference is the program run on the CPU, as exported.
            why = str(e).splitlines()[0][:160]
            try:
                m = torch.export.load(model).module()
                with torch.no_grad():
                    refs = [list(o) if isinstance(o, (list, tuple)) else [o]
                            for o in (m(*[x.cpu() for x in xs]), m(*[x.cpu() for x in xs2]))]
                note = f" (reference from the CPU: PyTorch's module failed on the GPU: {why})"
            except Exception as e2:
                # Nor on the CPU (an export whose module PyTorch cannot rebuild): the outputs
                # stored beside the model, made when it was exported, for the first input set;
                # runs on the second set are not compared but still come between them, so a
                # CUDA graph that kept stale inputs is still caught.
                stored = [io[k] for k in sorted((k for k in io if k.startswith("output_")),
                                                key=lambda k: int(k[7:]))]
                if not stored:
                    print(f"{name}: NOT CHECKED: PyTorch's module failed on the GPU ({why}) and on the "
                          f"CPU ({str(e2).splitlines()[0][:160]}), and no stored outputs", flush=True)
                    failed = True
                    continue
                refs = [stored, None]
                note = (f" (reference: the stored outputs, for the first input set; PyTorch's module "
                        f"failed on the GPU ({why}) and on the CPU ({str(e2).splitlines()[0][:120]}))")
        runner = torch._C._aoti.AOTIModelContainerRunnerCuda(so, 2, "cuda", work)
        sequential = [close(runner.run(xs if i % 2 == 0 else xs2), refs[i % 2]) for i in range(6)]
        mismatches = []

        def worker(k):
            stream = torch.cuda.Stream()
            with torch.cuda.stream(stream):
                for i in range(40):
                    j = (i + k) % 2
                    out = runner.run(xs if j == 0 else xs2)
                    stream.synchronize()
                    if not close(out, refs[j]):
                        mismatches.append((k, i))

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ok = all(sequential) and not mismatches
        failed |= not ok
        print(f"{name}: {'ok' if ok else 'MISMATCH'}: sequential runs {sequential}; "
              f"2 threads x 40 runs on 2 streams: {len(mismatches)} mismatches{note}", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
