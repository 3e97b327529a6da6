#!/usr/bin/python3
"""Writes the ONNX fixtures the importer tests read, with the outputs they must reproduce.

Run with Debian's packages (python3-torch 1.13, python3-onnx, python3-sklearn, python3-numpy):
    /usr/bin/python3 make_fixtures.py
Each model X gets torch/X.opsetN.onnx (or sklearn/X.onnx) and X.expected.txt: the input rows
and the output rows the model gives for them, as text (the tests need no Python).
"""
import os
import numpy as np
import torch
import torch.nn as nn
import onnx
from onnx import helper, TensorProto, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def write_expected(path, x, y):
    with open(path, "w") as f:
        f.write("input %d %d\n" % x.shape)
        for row in x:
            f.write(" ".join(repr(float(v)) for v in np.asarray(row, dtype=np.float32)) + "\n")
        f.write("output %d %d\n" % y.shape)
        for row in y:
            f.write(" ".join(repr(float(v)) for v in np.asarray(row, dtype=np.float32)) + "\n")


def mlp(act, bias=True):
    return nn.Sequential(nn.Linear(6, 8, bias=bias), act, nn.Linear(8, 3, bias=bias))


def torch_models():
    acts = {
        "relu": nn.ReLU(), "sigmoid": nn.Sigmoid(), "tanh": nn.Tanh(), "leaky_relu": nn.LeakyReLU(0.2),
        "elu": nn.ELU(0.5), "selu": nn.SELU(), "gelu": nn.GELU(), "gelu_tanh": nn.GELU(approximate="tanh"),
        "silu": nn.SiLU(), "softplus": nn.Softplus(),
    }
    models = {}
    for name, act in acts.items():
        models["act_" + name] = mlp(act)
    models["nobias"] = mlp(nn.Tanh(), bias=False)
    models["softmax"] = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3), nn.Softmax(dim=1))
    shared = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3))
    with torch.no_grad():  # equal parameters: the exporter merges them and re-aliases them through Identity
        shared[4].weight.copy_(shared[2].weight)
        shared[4].bias.copy_(shared[2].bias)
    models["shared"] = shared
    bn = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.BatchNorm1d(8), nn.Linear(8, 3))
    bn.train()
    with torch.no_grad():
        for _ in range(5):
            bn(torch.randn(32, 6) * 2 + 1)  # non-trivial running statistics
        bn[2].weight.uniform_(0.5, 1.5)
        bn[2].bias.uniform_(-0.5, 0.5)
    models["batchnorm"] = bn
    ln = nn.Sequential(nn.Linear(6, 8), nn.GELU(), nn.LayerNorm(8), nn.Linear(8, 3))
    with torch.no_grad():
        ln[2].weight.uniform_(0.5, 1.5)
        ln[2].bias.uniform_(-0.5, 0.5)
    models["layernorm"] = ln
    models["dropout"] = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 3))
    models["flatten"] = nn.Sequential(nn.Flatten(), nn.Linear(6, 8), nn.SiLU(), nn.Linear(8, 2))
    return models


def export_torch():
    torch.manual_seed(7)
    out = os.path.join(HERE, "torch")
    os.makedirs(out, exist_ok=True)
    for name, model in torch_models().items():
        model.eval()
        x = torch.randn(5, 6) * 1.5
        xin = x.reshape(5, 1, 2, 3) if name == "flatten" else x
        with torch.no_grad():
            y = model(xin)
        for opset in (14, 17):
            torch.onnx.export(model, xin, os.path.join(out, "%s.opset%d.onnx" % (name, opset)), opset_version=opset,
                              input_names=["input"], output_names=["output"],
                              dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
        write_expected(os.path.join(out, name + ".expected.txt"), x.numpy(), y.numpy())


def probability_map(name):
    """ZipMap's output: a sequence of maps from class to probability."""
    t = onnx.TypeProto()
    t.sequence_type.elem_type.map_type.key_type = TensorProto.INT64
    t.sequence_type.elem_type.map_type.value_type.tensor_type.elem_type = TensorProto.FLOAT
    return onnx.ValueInfoProto(name=name, type=t)


def sklearn_layout(clf, n_features):
    """The layout skl2onnx gives an MLPClassifier: MatMul (coefs [in, out]) + Add (intercept [1, out])
    and the activation per layer, Softmax (or, for two classes, Sigmoid then Concat(1 - p, p)), then
    the ai.onnx.ml tail for the label and the probability map."""
    act = {"relu": "Relu", "tanh": "Tanh", "logistic": "Sigmoid"}[clf.activation]
    nodes, inits = [], []
    h = "input"
    for i, (w, b) in enumerate(zip(clf.coefs_, clf.intercepts_)):
        inits.append(numpy_helper.from_array(w.astype(np.float32), "coefficient%d" % i))
        inits.append(numpy_helper.from_array(b.astype(np.float32).reshape(1, -1), "intercepts%d" % i))
        nodes.append(helper.make_node("MatMul", [h, "coefficient%d" % i], ["mul_result%d" % i]))
        nodes.append(helper.make_node("Add", ["mul_result%d" % i, "intercepts%d" % i], ["add_result%d" % i]))
        h = "add_result%d" % i
        if i < len(clf.coefs_) - 1:
            nodes.append(helper.make_node(act, [h], ["next_activations%d" % i]))
            h = "next_activations%d" % i
    if len(clf.classes_) == 2:
        nodes.append(helper.make_node("Sigmoid", [h], ["out_activations_result"]))
        inits.append(numpy_helper.from_array(np.array([1.0], dtype=np.float32), "unity"))
        nodes.append(helper.make_node("Sub", ["unity", "out_activations_result"], ["negative_class_proba"]))
        nodes.append(helper.make_node("Concat", ["negative_class_proba", "out_activations_result"], ["probabilities"], axis=1))
    else:
        nodes.append(helper.make_node("Softmax", [h], ["probabilities"], axis=1))
    inits.append(numpy_helper.from_array(clf.classes_.astype(np.int64), "classes"))
    nodes.append(helper.make_node("ArgMax", ["probabilities"], ["argmax_output"], axis=1))
    nodes.append(helper.make_node("ArrayFeatureExtractor", ["classes", "argmax_output"], ["array_feature_extractor_result"],
                                  domain="ai.onnx.ml"))
    inits.append(numpy_helper.from_array(np.array([-1], dtype=np.int64), "shape_tensor"))
    nodes.append(helper.make_node("Reshape", ["array_feature_extractor_result", "shape_tensor"], ["label"]))
    nodes.append(helper.make_node("ZipMap", ["probabilities"], ["output_probability"], domain="ai.onnx.ml",
                                  classlabels_int64s=[int(c) for c in clf.classes_]))
    graph = helper.make_graph(nodes, "mlp_classifier",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, n_features])],
                              [helper.make_tensor_value_info("label", TensorProto.INT64, [None]), probability_map("output_probability")],
                              inits)
    model = helper.make_model(graph, producer_name="skl2onnx-layout", ir_version=8,
                              opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx.ml", 1)])
    onnx.checker.check_model(model)
    return model


def export_sklearn():
    from sklearn.neural_network import MLPClassifier
    rng = np.random.RandomState(3)
    x = rng.randn(120, 5).astype(np.float32)
    out = os.path.join(HERE, "sklearn")
    os.makedirs(out, exist_ok=True)
    four = (x[:, 0] + x[:, 1] > 0).astype(int) + (x[:, 2] > 0.5).astype(int) * 2
    two = np.where(x[:, 0] * x[:, 3] > 0, 3, 7)  # labels 3 and 7
    for name, y, act in (("mlp_classifier", four, "tanh"), ("mlp_binary", two, "relu")):
        clf = MLPClassifier(hidden_layer_sizes=(7, 6), activation=act, max_iter=300, random_state=0).fit(x, y)
        onnx.save(sklearn_layout(clf, 5), os.path.join(out, name + ".onnx"))
        xt = x[:8]
        write_expected(os.path.join(out, name + ".expected.txt"), xt, clf.predict_proba(xt.astype(np.float64)))


def export_handmade():
    """Layouts no exporter here writes but the importer accepts: Add with the bias first, typed
    (unpacked) float_data, Gemm with transB=0 and alpha/beta."""
    rng = np.random.RandomState(5)
    w1 = rng.randn(4, 6).astype(np.float32)
    b1 = rng.randn(6).astype(np.float32)
    w2 = rng.randn(3, 6).astype(np.float32)
    b2 = rng.randn(3).astype(np.float32)
    inits = [helper.make_tensor("w1", TensorProto.FLOAT, [4, 6], w1.flatten().tolist()),  # float_data, not raw
             helper.make_tensor("b1", TensorProto.FLOAT, [6], b1.tolist()),
             numpy_helper.from_array(w2, "w2"), numpy_helper.from_array(b2, "b2")]
    nodes = [helper.make_node("MatMul", ["input", "w1"], ["mm"]),
             helper.make_node("Add", ["b1", "mm"], ["z1"]),
             helper.make_node("Elu", ["z1"], ["h1"], alpha=0.7),
             helper.make_node("Gemm", ["h1", "w2", "b2"], ["output"], transB=1, alpha=0.5, beta=2.0)]
    graph = helper.make_graph(nodes, "handmade", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 4])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 3])], inits)
    model = helper.make_model(graph, ir_version=8, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    x = rng.randn(5, 4).astype(np.float32)
    z = x.astype(np.float64) @ w1 + b1
    h = np.where(z > 0, z, 0.7 * np.expm1(z))
    y = 0.5 * (h @ w2.T.astype(np.float64)) + 2.0 * b2
    out = os.path.join(HERE, "handmade")
    os.makedirs(out, exist_ok=True)
    onnx.save(model, os.path.join(out, "bias_first.onnx"))
    write_expected(os.path.join(out, "bias_first.expected.txt"), x, y)
    # Gemm with transB=0: B is [in, out]
    nodes2 = [helper.make_node("Gemm", ["input", "w1", "b1"], ["g"], transB=0),
              helper.make_node("Softplus", ["g"], ["output"])]
    graph2 = helper.make_graph(nodes2, "gemm_transb0", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 4])],
                               [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 6])], inits[:2])
    model2 = helper.make_model(graph2, ir_version=8, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model2)
    z2 = x.astype(np.float64) @ w1 + b1
    onnx.save(model2, os.path.join(out, "gemm_transb0.onnx"))
    write_expected(os.path.join(out, "gemm_transb0.expected.txt"), x, np.log1p(np.exp(z2)))


if __name__ == "__main__":
    export_torch()
    export_sklearn()
    export_handmade()
