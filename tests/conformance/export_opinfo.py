"""Export aotic's operator conformance suite from PyTorch's own OpInfo test data.

Usage:  python3 export_opinfo.py OUT_DIR [--jobs N] [--deadline SECONDS] [--ops NAME,...]
                                 [--kinds functional,inplace,out] [--add]

The suite in tests/data/opinfo was made by two runs:
    python3 export_opinfo.py OUT
    python3 export_opinfo.py OUT --kinds inplace,out --add

Needs PyTorch 2.x with its test package (torch.testing._internal) and safetensors. The OpInfo
database imports `expecttest`; when that package is missing, a stub is put on sys.path.

For each entry of `torch.testing._internal.common_methods_invocations.op_db` and each dtype of
DTYPES that the entry supports on the CPU, it takes the first samples (`op.sample_inputs`) whose
tensors are small, makes a one-op module out of each (tensor leaves of the sample become the
program's inputs, everything else stays a constant of the call), exports it with
`torch.export.export(strict=False)` and saves:
  - `<dtype>_<k>.pt2`       the program as exported,
  - `<dtype>_<k>.core.pt2`  after `run_decompositions()`, only when its graph calls other ops,
  - `<dtype>_<k>.io.safetensors`  input_i and output_i, the outputs computed eagerly.
With --kinds inplace / out it exports, for one float32 and one int64 sample, the entry's in-place
variant applied to a copy of the input (`x.clone().add_(y)`) or its function writing through
`out=` into a new tensor, as entries `<entry>.inplace_variant` / `<entry>.out_variant`.
All samples of one entry go into one zip, OUT_DIR/ops/<entry>.zip, with `samples.json` listing
each sample: dtype, files, the ops its graphs call, and for a sample torch.export could not
export (or whose outputs are not tensors) the reason instead of files. OUT_DIR/suite.json
records the PyTorch version, the settings, every entry and entries left out as a whole (random
ops, ops without CPU samples) with the reason.
"""
import argparse
import io
import json
import os
import signal
import sys
import tempfile
import time
import types
import zipfile

DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "bool"]
SAMPLES_PER_DTYPE = {"float32": 3}  # others: 1
MAX_ELEMENTS = 4096  # all tensors of a sample together
SAMPLE_TIMEOUT_S = 30
# Outputs that cannot be compared: random draws and uninitialised memory.
RANDOM_WORDS = ("rand", "dropout", "bernoulli", "normal", "multinomial", "uniform", "exponential",
                "geometric", "cauchy", "log_normal", "empty", "poisson", "rrelu")


def ensure_expecttest():
    try:
        import expecttest  # noqa: F401
    except ImportError:
        import unittest
        stub = types.ModuleType("expecttest")

        class TestCase(unittest.TestCase):
            pass

        stub.TestCase = TestCase
        sys.modules["expecttest"] = stub


def entry_name(op):
    name = op.name + ("." + op.variant_test_name if op.variant_test_name else "")
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)


class Timeout(Exception):
    pass


class Skip(Exception):
    """A sample recorded as not exportable before torch.export is tried."""


def on_alarm(signum, frame):
    raise Timeout()


def one_op_module(torch, pytree, fn, sample):
    leaves, spec = pytree.tree_flatten((sample.input, tuple(sample.args), dict(sample.kwargs)))
    positions = [i for i, leaf in enumerate(leaves) if isinstance(leaf, torch.Tensor)]
    tensors = tuple(leaves[i] for i in positions)

    class OneOp(torch.nn.Module):
        def forward(self, *xs):
            filled = list(leaves)
            for p, x in zip(positions, xs):
                filled[p] = x
            inp, args, kwargs = pytree.tree_unflatten(filled, spec)
            out = fn(inp, *args, **kwargs)
            # torch.return_types named tuples (max, sort, topk...) do not serialize: plain tuples.
            return tuple(out) if isinstance(out, tuple) else out

    return OneOp(), tensors


def graph_ops(ep):
    ops = set()
    for gm in ep.graph_module.modules():
        for n in getattr(gm, "graph", types.SimpleNamespace(nodes=[])).nodes:
            if n.op == "call_function":
                ops.add(str(n.target))
    return sorted(ops)


def strip(ep):
    for gm in ep.graph_module.modules():
        for n in getattr(gm, "graph", types.SimpleNamespace(nodes=[])).nodes:
            n.meta.pop("stack_trace", None)
    try:
        ep._example_inputs = None  # keeps data/sample_inputs out of the archive
    except Exception:
        pass
    return ep


def save_pt2(torch, ep):
    buf = io.BytesIO()
    torch.export.save(ep, buf)
    return buf.getvalue()


VARIANT_DTYPES = ["float32", "int64"]  # in-place and out= variants: one sample of each


def variant_function(torch, op, kind, out_meta):
    """The callable a sample's one-op module calls: the OpInfo's function, its in-place variant
    applied to a copy of the input, or the function writing into a new tensor through out=."""
    if kind == "inplace":
        def inplace(inp, *args, **kwargs):
            inp = inp.clone()
            op.inplace_variant(inp, *args, **kwargs)
            return inp
        return inplace
    if kind == "out":
        def out_variant(inp, *args, **kwargs):
            buf = torch.empty(out_meta[0], dtype=out_meta[1])
            op.op(inp, *args, out=buf, **kwargs)
            return buf
        return out_variant
    return op.op


def export_entry(task):
    index, deadline, kind = task
    import torch
    from torch.utils import _pytree as pytree
    from safetensors.torch import save as st_save
    from torch.testing._internal.common_methods_invocations import op_db

    torch.set_num_threads(1)
    signal.signal(signal.SIGALRM, on_alarm)
    op = op_db[index]
    name = entry_name(op) + ("" if kind == "functional" else f".{kind}_variant")
    samples = []
    files = {}
    if kind == "inplace" and op.inplace_variant is None:
        return name, None, [], "skip"
    if kind == "out" and not op.supports_out:
        return name, None, [], "skip"
    try:
        supported = {str(d).replace("torch.", "") for d in op.supported_dtypes("cpu")}
    except Exception as e:
        return name, None, [], f"supported_dtypes failed: {type(e).__name__}"
    for dtype in DTYPES if kind == "functional" else VARIANT_DTYPES:
        if dtype not in supported:
            continue
        want = SAMPLES_PER_DTYPE.get(dtype, 1) if kind == "functional" else 1
        taken = 0
        try:
            it = iter(op.sample_inputs("cpu", getattr(torch, dtype), requires_grad=False))
        except Exception as e:
            samples.append({"id": f"{dtype}_0", "dtype": dtype, "status": "no_samples",
                            "reason": f"sample_inputs: {type(e).__name__}: {str(e)[:200]}"})
            continue
        seen = 0
        while taken < want and seen < 40:
            if time.time() > deadline:
                samples.append({"id": f"{dtype}_{taken}", "dtype": dtype, "status": "not_run",
                                "reason": "generator deadline"})
                break
            try:
                sample = next(it)
            except StopIteration:
                break
            except Exception as e:
                samples.append({"id": f"{dtype}_{taken}", "dtype": dtype, "status": "no_samples",
                                "reason": f"sample_inputs: {type(e).__name__}: {str(e)[:200]}"})
                break
            seen += 1
            sid = f"{dtype}_{taken}"
            leaves = pytree.tree_leaves((sample.input, sample.args, sample.kwargs))
            tensors = [t for t in leaves if isinstance(t, torch.Tensor)]
            if not tensors or sum(t.numel() for t in tensors) > MAX_ELEMENTS:
                continue
            if any(t.layout != torch.strided or t.is_complex() or t.is_quantized for t in tensors):
                continue
            record = {"id": sid, "dtype": dtype}
            signal.alarm(SAMPLE_TIMEOUT_S)
            try:
                if kind != "functional" and not isinstance(sample.input, torch.Tensor):
                    record.update(status="not_exportable", reason="the sample's input is not a tensor")
                    raise Skip()
                out_meta = None
                if kind == "out":
                    with torch.no_grad():
                        ref = op.op(sample.input.clone(), *sample.args, **sample.kwargs)
                    if not isinstance(ref, torch.Tensor):
                        record.update(status="not_exportable", reason="out= variant with several outputs")
                        raise Skip()
                    out_meta = (tuple(ref.shape), ref.dtype)
                fn = variant_function(torch, op, kind, out_meta)
                module, inputs = one_op_module(torch, pytree, fn, sample)
                inputs = tuple(t.clone() for t in inputs)
                with torch.no_grad():
                    out = module(*[t.clone() for t in inputs])
                outs, _ = pytree.tree_flatten(out)
                if not outs or not all(isinstance(o, torch.Tensor) for o in outs):
                    record.update(status="not_exportable", reason="outputs are not all tensors")
                    raise Skip()
                if any(o.is_complex() or o.layout != torch.strided for o in outs):
                    record.update(status="not_exportable", reason="complex or sparse output")
                    raise Skip()
                ep = torch.export.export(module, inputs, strict=False)
                core = ep.run_decompositions()
                ops_export, ops_core = graph_ops(ep), graph_ops(core)
                io_tensors = {f"input_{i}": t.contiguous().clone() for i, t in enumerate(inputs)}
                io_tensors.update({f"output_{i}": o.detach().contiguous().clone()
                                   for i, o in enumerate(outs)})
                files[f"{sid}.pt2"] = save_pt2(torch, strip(ep))
                record["files"] = [f"{sid}.pt2"]
                if ops_core != ops_export:
                    files[f"{sid}.core.pt2"] = save_pt2(torch, strip(core))
                    record["files"].append(f"{sid}.core.pt2")
                files[f"{sid}.io.safetensors"] = st_save(io_tensors)
                record.update(status="ok", ops=ops_export, core_ops=ops_core,
                              inputs=[[str(t.dtype).replace("torch.", ""), list(t.shape)]
                                      for t in inputs],
                              outputs=[[str(o.dtype).replace("torch.", ""), list(o.shape)]
                                       for o in outs])
                taken += 1
            except Skip:
                taken += 1
            except Timeout:
                record.update(status="not_exportable", reason=f"export took over {SAMPLE_TIMEOUT_S} s")
                taken += 1
            except Exception as e:
                msg = " ".join(str(e).split())[:300]
                record.update(status="not_exportable", reason=f"{type(e).__name__}: {msg}")
                taken += 1
            finally:
                signal.alarm(0)
            for f in list(files):
                if f.startswith(sid + ".") and record.get("status") != "ok":
                    del files[f]
            samples.append(record)
    if not files:
        return name, None, samples, "no exportable sample"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        meta = {"entry": name, "op": op.name, "variant": op.variant_test_name, "kind": kind,
                "aten_name": getattr(op, "aten_name", None), "samples": samples}
        z.writestr(zipfile.ZipInfo("samples.json", (1980, 1, 1, 0, 0, 0)),
                   json.dumps(meta, indent=1, sort_keys=True), zipfile.ZIP_DEFLATED)
        for f in sorted(files):
            z.writestr(zipfile.ZipInfo(f, (1980, 1, 1, 0, 0, 0)), files[f], zipfile.ZIP_DEFLATED)
    return name, buf.getvalue(), samples, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--deadline", type=float, default=480)
    ap.add_argument("--ops", default="")
    ap.add_argument("--kinds", default="functional",
                    help="functional,inplace,out: the OpInfo function, its in-place variant on a copy "
                         "of the input, the function with out= (entries named <entry>.inplace_variant "
                         "and <entry>.out_variant)")
    ap.add_argument("--add", action="store_true",
                    help="merge into OUT/suite.json instead of replacing it")
    a = ap.parse_args()
    kinds = [k for k in a.kinds.split(",") if k]
    assert all(k in ("functional", "inplace", "out") for k in kinds), a.kinds
    start = time.time()
    # CPU only: a CUDA context made while importing op_db breaks the forked workers.
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    ensure_expecttest()
    import multiprocessing as mp
    import torch
    from torch.testing._internal.common_methods_invocations import op_db

    os.makedirs(os.path.join(a.out, "ops"), exist_ok=True)
    wanted = set(filter(None, a.ops.split(",")))
    left_out = {}
    tasks = []
    names = set()
    for i, op in enumerate(op_db):
        name = entry_name(op)
        if wanted and name not in wanted and op.name not in wanted:
            continue
        if name in names:
            left_out[f"{name}#{i}"] = "duplicate entry name"
            continue
        names.add(name)
        if any(w in op.name for w in RANDOM_WORDS):
            left_out[name] = "random or uninitialised output"
            continue
        for kind in kinds:
            tasks.append((i, start + a.deadline, kind))
    entries = {}
    torch.set_num_threads(1)
    ctx = mp.get_context("fork")
    with ctx.Pool(a.jobs, maxtasksperchild=20) as pool:
        for name, data, samples, why in pool.imap_unordered(export_entry, tasks):
            if why == "skip":
                continue
            if data is not None:
                with open(os.path.join(a.out, "ops", name + ".zip"), "wb") as f:
                    f.write(data)
            counts = {}
            for s in samples:
                counts[s["status"]] = counts.get(s["status"], 0) + 1
            entries[name] = {"samples": counts}
            if why:
                entries[name]["note"] = why
            reasons = {}
            for s in samples:
                if "reason" in s:
                    reasons[s["reason"][:160]] = reasons.get(s["reason"][:160], 0) + 1
            if reasons:
                entries[name]["reasons"] = dict(sorted(reasons.items(), key=lambda kv: -kv[1])[:4])
            first = next(iter(entries[name].get("reasons", {})), "")
            print(f"{name}: {counts}{' ' + why if why else ''} {first}", flush=True)
    suite_path = os.path.join(a.out, "suite.json")
    if a.add and os.path.exists(suite_path):
        with open(suite_path) as f:
            old = json.load(f)
        old_entries = old.get("entries", {})
        old_entries.update(entries)
        entries = old_entries
        old_left = old.get("left_out", {})
        old_left.update(left_out)
        left_out = old_left
    suite = {
        "torch": torch.__version__,
        "made_by": "tests/conformance/export_opinfo.py",
        "dtypes": DTYPES,
        "samples_per_dtype": {d: SAMPLES_PER_DTYPE.get(d, 1) for d in DTYPES},
        "variants": {"inplace": VARIANT_DTYPES, "out": VARIANT_DTYPES},
        "max_elements": MAX_ELEMENTS,
        "entries": dict(sorted(entries.items())),
        "left_out": dict(sorted(left_out.items())),
        "seconds": round(time.time() - start, 1),
    }
    with open(suite_path, "w") as f:
        json.dump(suite, f, indent=1, sort_keys=True)
    total = {}
    for e in entries.values():
        for k, v in e["samples"].items():
            total[k] = total.get(k, 0) + v
    print("entries", len(entries), "left out", len(left_out), "samples", total,
          "seconds", suite["seconds"], flush=True)


if __name__ == "__main__":
    main()
