"""PyTorch's own results of each program as references, for the samples aotic does not match.

Usage:  python3 tools/conformance/pytorch_references.py [--device cuda|cpu] SUITE RESULTS OUT_SUITE

The suite's references were computed by PyTorch on the CPU, by the OpInfo function itself. On
the GPU, PyTorch's CUDA kernels break ties, round half-precision intermediates and pick
algorithms differently, and some ops or dtypes have no CUDA kernel at all. And a program after
`run_decompositions()` is not the op it came from: a decomposition may compute a float16 op in
float32 and round once, where the op's own kernel rounds each step. RESULTS is a `conformance
--results` file; for each sample it lists as not passing, this runs that program as PyTorch runs
it (`torch.export.load(...).module()`; with --device cuda, the default, first
`torch.export.passes.move_to_device_pass(ep, "cuda")` with the inputs moved there and TF32 off)
and writes OUT_SUITE, a suite of those programs alone with PyTorch's outputs of the program as
their references. Then

    conformance --suite OUT_SUITE --device DEVICE

compares aotic with PyTorch running the same program on the same device. Programs PyTorch itself
cannot run there are left out of OUT_SUITE and listed, with PyTorch's error, in
OUT_SUITE/pytorch_failures.txt. Needs PyTorch (with CUDA for --device cuda) and safetensors.
"""
import io as iomod
import json
import os
import sys
import zipfile


def read_failures(path):
    """{entry: {program: outcome}} of the samples the results file lists as not passing."""
    failures = {}
    with open(path) as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 2 or fields[1] == "pass":
                continue
            entry, program = fields[0].rsplit("/", 1)
            failures.setdefault(entry, {})[program] = fields[1]
    return failures


def one_line(text, limit=300):
    return " ".join(str(text).split())[:limit]


def main():
    args = sys.argv[1:]
    device = "cuda"
    if len(args) >= 2 and args[0] == "--device":
        device, args = args[1], args[2:]
    elif args and args[0].startswith("--device="):
        device, args = args[0][len("--device="):], args[1:]
    if len(args) != 3 or device not in ("cuda", "cpu"):
        sys.exit(__doc__)
    suite, results, out = args
    import torch
    from safetensors.torch import load as st_load, save as st_save
    from torch.export.passes import move_to_device_pass
    from torch.utils import _pytree as pytree

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    failures = read_failures(results)
    with open(os.path.join(suite, "suite.json")) as f:
        meta = json.load(f)
    os.makedirs(os.path.join(out, "ops"), exist_ok=True)
    torch_failures = []
    written = 0
    entries = {}
    for entry in sorted(failures):
        with zipfile.ZipFile(os.path.join(suite, "ops", entry + ".zip")) as z:
            samples = json.loads(z.read("samples.json"))
            files = {}
            records = []
            for program in sorted(failures[entry]):
                sid = program[: -len(".core.pt2")] if program.endswith(".core.pt2") else program[:-4]
                io = st_load(z.read(sid + ".io.safetensors"))
                new_sid = program[:-4]  # "<dtype>_<k>" or "<dtype>_<k>.core": one io file each
                dtype = sid.rsplit("_", 1)[0]
                try:
                    ep = torch.export.load(iomod.BytesIO(z.read(program)))
                    if device == "cuda":
                        ep = move_to_device_pass(ep, "cuda")
                    inputs = []
                    while f"input_{len(inputs)}" in io:
                        inputs.append(io[f"input_{len(inputs)}"].to(device))
                    # The inputs as given: a program that updates an input in place changes them.
                    tensors = {f"input_{i}": t.cpu().clone() for i, t in enumerate(inputs)}
                    with torch.no_grad():
                        outs, _ = pytree.tree_flatten(ep.module()(*inputs))
                    if device == "cuda":
                        torch.cuda.synchronize()
                    tensors.update({f"output_{i}": o.detach().cpu().contiguous() for i, o in enumerate(outs)})
                except Exception as e:  # PyTorch cannot run it there either
                    message = f"{type(e).__name__}: {one_line(e)}"
                    if "CUDA error" in message:
                        # A kernel fault leaves this process's CUDA context unusable: every later
                        # program would fail too and be miscounted as one PyTorch cannot run.
                        sys.exit(f"pytorch_references: {entry}/{program}: {message}; stopped (the CUDA "
                                 f"context is broken: run the rest with a RESULTS file without it)")
                    torch_failures.append(f"{entry}/{program}\t{message}")
                    continue
                files[program] = z.read(program)
                files[new_sid + ".io.safetensors"] = st_save(tensors)
                records.append({"id": new_sid, "dtype": dtype, "status": "ok", "files": [program]})
                written += 1
        if not records:
            continue
        samples["samples"] = records
        entries[entry] = meta["entries"].get(entry, {})
        with zipfile.ZipFile(os.path.join(out, "ops", entry + ".zip"), "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("samples.json", json.dumps(samples, indent=1, sort_keys=True))
            for name in sorted(files):
                z.writestr(name, files[name])
    meta["entries"] = entries
    meta["note"] = f"PyTorch's outputs of each program on {device} as references (tools/conformance/pytorch_references.py)"
    with open(os.path.join(out, "suite.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
    with open(os.path.join(out, "pytorch_failures.txt"), "w") as f:
        f.write("".join(line + "\n" for line in torch_failures))
    print(f"pytorch_references: {sum(len(v) for v in failures.values())} failing programs: "
          f"{written} with PyTorch's outputs on {device} in {out}, {len(torch_failures)} PyTorch cannot run "
          f"there ({out}/pytorch_failures.txt)")


if __name__ == "__main__":
    main()
