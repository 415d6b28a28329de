"""Exports torchvision models for the benchmarks (tools/bench_gpu.py): each as NAME.pt2 (torch.export,
eval mode, batch 1, 3x224x224) plus NAME.io.safetensors (a fixed random input, input_0, and eager's
output, output_0). Needs torch, torchvision and safetensors (the GPU machine has them).

  python3 tools/export_torchvision.py OUT_DIR [resnet18 mobilenet_v3_small ...]
"""
import os
import sys

import torch
import torchvision
from safetensors.torch import save_file


def main():
    out = sys.argv[1]
    names = sys.argv[2:] or ["resnet18", "mobilenet_v3_small"]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    for name in names:
        model = getattr(torchvision.models, name)(weights=None).eval()
        x = torch.randn(1, 3, 224, 224)
        with torch.no_grad():
            ep = torch.export.export(model, (x,))
            y = model(x)
        torch.export.save(ep, os.path.join(out, name + ".pt2"))
        save_file({"input_0": x.contiguous(), "output_0": y.contiguous()}, os.path.join(out, name + ".io.safetensors"))
        print(f"exported {name}")


if __name__ == "__main__":
    main()
