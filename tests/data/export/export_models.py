"""Export the extra test archives under tests/data/ (needs PyTorch 2.11, torchvision, safetensors).

Usage:  python3 export_models.py OUT_DIR [CASE ...]
For each case NAME it writes NAME.pt2 (torch.export.export), NAME.core.pt2 (after
run_decompositions) and NAME.io.safetensors (input_i / output_i from eager), CPU float32,
torch.manual_seed(0), eval mode, stack traces stripped: the same recipe as the bundled
fixtures (tests/data/fixtures/README.md).

Not made here: tests/data/extra/masked_select.pt2 (+ .io.safetensors), argwhere.core.pt2
(+ argwhere.io.safetensors) and tensor_split.core.pt2 (+ tensor_split.io.safetensors) are copies
of conformance samples with data-dependent sizes, tests/data/opinfo/ops/masked_select.zip's
float32_0, argwhere.zip's float32_1 and tensor_split.zip's float32_0.core (slices whose bounds
are .item() of an input), and renorm_f16.core.pt2 (+ renorm_f16.io.safetensors) is renorm.zip's
float16_0.core (its decomposition leaves prims.convert_element_type); see
tests/conformance/export_opinfo.py.
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

Dim = torch.export.Dim


class CondModel(nn.Module):
    """torch.cond with parameters used inside both branches."""

    def __init__(s):
        super().__init__()
        s.l = nn.Linear(16, 16)

    def forward(s, x):
        def yes(x):
            return torch.relu(s.l(x))

        def no(x):
            return torch.sigmoid(s.l(x)) * 2.0

        return torch.cond(x.sum() > 0, yes, no, (x,))


class SymOps(nn.Module):
    """Dynamic sizes that export writes as compound sympy expressions."""

    def forward(s, x, y):
        z = torch.cat([x, y], 0)  # s0 + s1 rows
        w = z.reshape(-1, 4)  # 2*(s0 + s1) rows
        h = x[::2]  # ceil division of s0
        p = F.pad(x, (0, 0, 0, 1))  # s0 + 1 rows
        q = x.new_zeros(x.shape[0] // 2, 3)  # floor division
        v = x.view(x.shape[0], 2, -1)  # sym ints in a list
        r = x.unsqueeze(0).expand(y.shape[0], -1, -1)
        return w.sum(0), h * 2, p, q, v.sum(1), r.mean(0)


class MiscOps(nn.Module):
    """Buffers, a lifted tensor constant, strings, optional tensor lists, several outputs."""

    def __init__(s):
        super().__init__()
        s.register_buffer("scale", torch.linspace(0.5, 1.5, 8))
        s.register_buffer("offset", torch.arange(8.0), persistent=False)
        s.table = torch.randn(8)  # plain attribute: becomes a tensor constant
        s.l = nn.Linear(8, 8)

    def forward(s, x, idx):
        y = F.gelu(s.l(x), approximate="tanh") * s.scale + s.offset
        g = y[:, idx]  # aten.index.Tensor with Tensor?[]
        t = torch.topk(y, 3, dim=-1)
        return g + s.table[idx], t.values, t.indices, torch.argmax(y, -1)


class GPTDyn(nn.Module):
    """A small transformer whose sequence length is dynamic."""

    def __init__(s, V=256, d=64, T=32, h=4):
        super().__init__()
        s.h = h
        s.wte = nn.Embedding(V, d)
        s.wpe = nn.Embedding(T, d)
        s.ln = nn.LayerNorm(d)
        s.qkv = nn.Linear(d, 3 * d)
        s.o = nn.Linear(d, d)
        s.head = nn.Linear(d, V, bias=False)

    def forward(s, idx):
        B, T = idx.shape
        x = s.wte(idx) + s.wpe(torch.arange(T, device=idx.device))
        q, k, v = s.qkv(s.ln(x)).split(x.shape[2], dim=2)
        sh = lambda t: t.view(B, T, s.h, -1).transpose(1, 2)
        y = F.scaled_dot_product_attention(sh(q), sh(k), sh(v), is_causal=True)
        x = x + s.o(y.transpose(1, 2).reshape(B, T, -1))
        return s.head(x)


class CommonOps(nn.Module):
    """Ops real models export that aotic once lacked: .to(dtype) (with _assert_tensor_metadata),
    squeeze over several dims, select, clamp_min/clamp_max, copy into a new tensor."""

    def forward(s, x, n):
        a = x.to(torch.float64).sum(-1)
        b = x.unsqueeze(0).unsqueeze(2).squeeze((0, 2))
        c = x[:, 1]
        d = torch.clamp_max(x, 0.5) + torch.clamp_min(x, -0.5)
        e = torch.zeros_like(x).copy_(x * 2)
        f = (n.to(torch.float32) * 2).to(torch.int64)
        return a, b, c, d, e, f


class DerivedDims(nn.Module):
    """Inputs sized by expressions of a symbol: 8*s (a multiple) and s + 1."""

    def forward(s, x, y, z):
        a = x.reshape(x.shape[0], -1, 8).sum(-1)  # (2, s)
        b = y[1:] + z  # (s, 4)
        return a, b


class IntOps(nn.Module):
    """Integer index arithmetic: Python ints as Scalars on int64 tensors must keep them int64."""

    def forward(s, x, idx):
        i = torch.clamp(idx, 0, 5)
        j = (idx * 3 + 1) % 6
        k = idx.pow(2) - torch.clamp_max(idx, 4)
        g = torch.gather(x, 1, i.unsqueeze(0).expand(x.shape[0], -1))
        return g, j, k, idx // 2, (idx > 2) + 1


class TinyViT(nn.Module):
    """A small vision transformer: patch convolution, class token, pre-norm blocks with
    scaled_dot_product_attention and GELU MLPs, dynamic batch."""

    def __init__(s, img=32, patch=8, dim=64, depth=2, heads=4, classes=10):
        super().__init__()
        s.heads = heads
        s.patch = nn.Conv2d(3, dim, patch, patch)
        s.cls = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        s.pos = nn.Parameter(torch.randn(1, (img // patch) ** 2 + 1, dim) * 0.02)
        s.blocks = nn.ModuleList(
            nn.ModuleDict(dict(n1=nn.LayerNorm(dim), qkv=nn.Linear(dim, 3 * dim), proj=nn.Linear(dim, dim),
                               n2=nn.LayerNorm(dim), fc1=nn.Linear(dim, 2 * dim), fc2=nn.Linear(2 * dim, dim)))
            for _ in range(depth))
        s.norm = nn.LayerNorm(dim)
        s.head = nn.Linear(dim, classes)

    def forward(s, x):
        x = s.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([s.cls.expand(x.shape[0], -1, -1), x], 1) + s.pos
        B, T, C = x.shape
        for b in s.blocks:
            q, k, v = b["qkv"](b["n1"](x)).reshape(B, T, 3, s.heads, C // s.heads).permute(2, 0, 3, 1, 4)
            y = F.scaled_dot_product_attention(q, k, v)
            x = x + b["proj"](y.transpose(1, 2).reshape(B, T, C))
            x = x + b["fc2"](F.gelu(b["fc1"](b["n2"](x))))
        return s.head(s.norm(x[:, 0]))


class LSTMTagger(nn.Module):
    """An embedding, a bidirectional two-layer LSTM and a per-token classifier (log_softmax)."""

    def __init__(s):
        super().__init__()
        s.emb = nn.Embedding(100, 32)
        s.lstm = nn.LSTM(32, 48, num_layers=2, batch_first=True, bidirectional=True)
        s.out = nn.Linear(96, 8)

    def forward(s, tokens):
        h, _ = s.lstm(s.emb(tokens))
        return F.log_softmax(s.out(h), -1)


class GRUEncoder(nn.Module):
    """A GRU over features with an explicit initial state; returns the sequence and the last state."""

    def __init__(s):
        super().__init__()
        s.gru = nn.GRU(16, 24, num_layers=2)
        s.proj = nn.Linear(24, 4)

    def forward(s, x, h0):
        y, h = s.gru(x, h0)
        return torch.tanh(s.proj(y)), h


class CNNDim(nn.Module):
    """A CNN whose height and width are multiples of symbols (16*h, 16*w): strided convolutions,
    batch norm, pooling to a fixed size, a classifier."""

    def __init__(s):
        super().__init__()
        s.f = nn.Sequential(
            nn.Conv2d(3, 16, 3, 2, 1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 32, 3, 2, 1), nn.BatchNorm2d(32), nn.Hardswish(),
            nn.MaxPool2d(2), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))

    def forward(s, x):
        return s.f(x)


class ResBlock(nn.Module):
    """torchvision's BasicBlock: two 3x3 convolutions with batch norm, an in-place relu, the
    shortcut (a strided 1x1 convolution when the shape changes) added in place."""

    def __init__(s, cin, cout, stride):
        super().__init__()
        s.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        s.b1 = nn.BatchNorm2d(cout)
        s.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        s.b2 = nn.BatchNorm2d(cout)
        s.relu = nn.ReLU(inplace=True)
        s.down = None
        if stride != 1 or cin != cout:
            s.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(s, x):
        identity = x if s.down is None else s.down(x)
        out = s.relu(s.b1(s.c1(x)))
        out = s.b2(s.c2(out))
        out += identity
        return s.relu(out)


class ResCNN(nn.Module):
    """A small ResNet: stem, two residual blocks (one strided), a depthwise convolution, a
    convolution read twice (its result returned and pooled), global pooling, a classifier."""

    def __init__(s):
        super().__init__()
        s.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True))
        s.blocks = nn.Sequential(ResBlock(16, 16, 1), ResBlock(16, 32, 2))
        s.dw = nn.Sequential(nn.Conv2d(32, 32, 3, 1, 1, groups=32), nn.ReLU())
        s.head = nn.Conv2d(32, 24, 1)
        s.fc = nn.Linear(24, 10)

    def forward(s, x):
        h = s.head(s.dw(s.blocks(s.stem(x))))
        return s.fc(F.relu(h).mean((2, 3))), h


def tv(name):
    import torchvision

    return getattr(torchvision.models, name)(weights=None)


CASES = {
    "cond": lambda: (CondModel(), (torch.randn(4, 16),), None),
    "sym_ops": lambda: (
        SymOps(),
        (torch.randn(6, 8), torch.randn(5, 8)),
        ({0: Dim("a", min=4, max=512)}, {0: Dim("b", min=2, max=512)}),
    ),
    "misc_ops": lambda: (MiscOps(), (torch.randn(3, 8), torch.tensor([0, 5, 2])), None),
    "gpt_dyn": lambda: (
        GPTDyn(),
        (torch.randint(0, 256, (2, 16)),),
        ({1: Dim("seq", min=2, max=32)},),
    ),
    "common_ops": lambda: (CommonOps(), (torch.randn(4, 6), torch.arange(5)), None),
    "derived_dims": lambda: (lambda sym: (
        DerivedDims(),
        (torch.randn(2, 40), torch.randn(6, 4), torch.randn(5, 4)),
        ({1: 8 * sym}, {0: sym + 1}, {0: sym}),
    ))(Dim("s", min=1, max=64)),
    "int_ops": lambda: (IntOps(), (torch.randn(3, 6), torch.tensor([-3, 0, 2, 5, 9])), None),
    "tiny_vit": lambda: (TinyViT(), (torch.randn(2, 3, 32, 32),), ({0: Dim("batch", min=1, max=16)},)),
    "lstm_tagger": lambda: (LSTMTagger(), (torch.randint(0, 100, (2, 12)),), None),
    "gru_encoder": lambda: (GRUEncoder(), (torch.randn(10, 3, 16), torch.randn(2, 3, 24)), None),
    "cnn_dim": lambda: (lambda h, w: (
        CNNDim(),
        (torch.randn(1, 3, 48, 64),),
        ({2: 16 * h, 3: 16 * w},),
    ))(Dim("h", min=1, max=8), Dim("w", min=1, max=8)),
    "res_cnn": lambda: (ResCNN(), (torch.randn(2, 3, 32, 32),), None),
    "squeezenet": lambda: (tv("squeezenet1_1"), (torch.randn(1, 3, 64, 64),), None),
    "mobilenet_v3": lambda: (tv("mobilenet_v3_small"), (torch.randn(1, 3, 64, 64),), None),
    "resnet18": lambda: (tv("resnet18"), (torch.randn(1, 3, 64, 64),), None),
}


def strip_stack_traces(ep):
    for gm in ep.graph_module.modules():
        if isinstance(gm, torch.fx.GraphModule):
            for n in gm.graph.nodes:
                n.meta.pop("stack_trace", None)
    return ep


def export_case(name, out_dir):
    torch.manual_seed(0)
    model, args, dyn = CASES[name]()
    model.eval()
    with torch.no_grad():
        ep = strip_stack_traces(torch.export.export(model, args, dynamic_shapes=dyn))
        out = model(*args)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    torch.export.save(ep, f"{out_dir}/{name}.pt2")
    core = strip_stack_traces(ep.run_decompositions())
    torch.export.save(core, f"{out_dir}/{name}.core.pt2")
    # Copies: safetensors refuses tensors that share memory (an output may view an input).
    tensors = {f"input_{i}": a.contiguous().clone() for i, a in enumerate(args)}
    tensors.update({f"output_{i}": o.contiguous().clone() for i, o in enumerate(outs)})
    save_file(tensors, f"{out_dir}/{name}.io.safetensors")


if __name__ == "__main__":
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    for name in sys.argv[2:] or CASES:
        try:
            export_case(name, out_dir)
            print("exported", name, flush=True)
        except Exception as e:  # report and go on with the other cases
            print("FAILED", name, type(e).__name__, str(e)[:2000], flush=True)
