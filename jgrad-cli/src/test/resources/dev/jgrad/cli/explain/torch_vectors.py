#!/usr/bin/python3
"""Expected values for ExplainModelTest, computed by PyTorch autograd in float64.

The two models here were written by jgrad itself (built-in digits data, two epochs, seed 1):

    ./jgrad train --data digits --layers 16:tanh,12:gelu --norm batch --dropout 0.2 --epochs 2 --seed 1 --out batch.safetensors
    ./jgrad train --data digits --layers 16:tanh,12:gelu --norm layer --dropout 0.2 --epochs 2 --seed 1 --out layer.safetensors

This script reads them with nothing but the safetensors layout and the architecture in their
metadata, writes rows.csv (three samples of raw pixel values, with a header), and for each model
and row writes what `jgrad explain --model M --input rows.csv --row R --compare C --json` must
print: the loss, every parameter gradient, the gradient with respect to the normalised input and
to the raw input (through the min-max normaliser), for the predicted class and for class C.
Evaluation mode: batch norm on its running statistics, dropout the identity.

    apt-get install -y python3-torch python3-numpy
    cd jgrad-cli/src/test/resources/dev/jgrad/cli/explain && /usr/bin/python3 torch_vectors.py
"""
import json
import struct

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
DTYPES = {"F32": np.float32, "F64": np.float64}


def load(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = json.loads(header.pop("__metadata__")["jgrad"])
    body = raw[8 + n:]
    tensors = {}
    for name, t in header.items():
        a, b = t["data_offsets"]
        tensors[name] = torch.tensor(np.frombuffer(body[a:b], dtype=DTYPES[t["dtype"]]).astype(np.float64).reshape(t["shape"]))
    return meta, tensors


def forward(meta, params, buffers, x):
    """The logits (the output layer's z: softmax is fused with the cross-entropy)."""
    counts = {}
    h = x
    for layer in meta["layers"]:
        kind = layer["type"]
        i = counts.get(kind, 0)
        counts[kind] = i + 1
        if kind == "dense":
            p = f"layers.{i}."
            h = h @ params[p + "weight"].T + params[p + "bias"]
            act = layer["activation"]
            if act == "tanh":
                h = torch.tanh(h)
            elif act == "gelu":
                h = torch.nn.functional.gelu(h)
            elif act == "relu":
                h = torch.relu(h)
            elif act == "softmax":
                pass
            else:
                raise ValueError(act)
        elif kind == "batch_norm":
            p = f"batch_norm.{i}."
            h = (h - buffers[p + "running_mean"]) / torch.sqrt(buffers[p + "running_var"] + layer["eps"]) * params[p + "weight"] + params[p + "bias"]
        elif kind == "layer_norm":
            p = f"layer_norm.{i}."
            mu = h.mean(dim=-1, keepdim=True)
            var = ((h - mu) ** 2).mean(dim=-1, keepdim=True)
            h = (h - mu) / torch.sqrt(var + layer["eps"]) * params[p + "weight"] + params[p + "bias"]
        elif kind == "dropout":
            pass
        else:
            raise ValueError(kind)
    return h


def explain(meta, tensors, raw_row, target):
    params = {k: v.clone().requires_grad_(True) for k, v in tensors.items() if "running" not in k}
    buffers = {k: v for k, v in tensors.items() if "running" in k}
    norm = meta["normalizer"]
    x = torch.tensor(raw_row, requires_grad=True)
    xn = (x - torch.tensor(norm["offset"])) * torch.tensor(norm["scale"])
    xn.retain_grad()
    z = forward(meta, params, buffers, xn.unsqueeze(0))
    loss = torch.nn.functional.cross_entropy(z, torch.tensor([target]))
    loss.backward()
    return {
        "loss": loss.item(),
        "probabilities": torch.softmax(z, dim=1)[0].tolist(),
        "input_gradient": xn.grad.tolist(),
        "raw_input_gradient": x.grad.tolist(),
        "gradients": {k: v.grad.flatten().tolist() for k, v in params.items()},
    }


def main():
    rng = np.random.default_rng(19)
    rows = rng.integers(0, 17, size=(3, 64)).astype(np.float64)
    with open("rows.csv", "w") as f:
        f.write(",".join(f"p{j}" for j in range(64)) + "\n")
        for r in rows:
            f.write(",".join(str(int(v)) for v in r) + "\n")
    out = {}
    for model in ("batch", "layer"):
        meta, tensors = load(model + ".safetensors")
        cases = []
        for i, r in enumerate(rows):
            with torch.no_grad():
                params = {k: v for k, v in tensors.items()}
                norm = meta["normalizer"]
                xn = (torch.tensor(r) - torch.tensor(norm["offset"])) * torch.tensor(norm["scale"])
                predicted = int(forward(meta, params, params, xn.unsqueeze(0)).argmax())
            compare = (predicted + 3) % 10
            case = {"row": i, "predicted": meta["classes"][predicted], "compare": meta["classes"][compare]}
            case["target"] = explain(meta, tensors, r, predicted)
            second = explain(meta, tensors, r, compare)
            case["second"] = {"loss": second["loss"], "raw_input_gradient": second["raw_input_gradient"]}
            cases.append(case)
        out[model] = cases
    with open("expected.json", "w") as f:
        json.dump({"torch": torch.__version__, "models": out}, f)


if __name__ == "__main__":
    main()
