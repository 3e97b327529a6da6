#!/usr/bin/env python3
"""Training throughput of jgrad-spark against one process, on the same machine, alternating.

Fashion-MNIST, 784-256-128-10 (ReLU), Adam, global batch 128, all 60,000 training rows:
  - spark:  JgradClassifier (mode=sync) on the standalone cluster of scripts/spark-cluster.sh
            (2 executors x 1 core), through the FashionMnistPipeline example;
  - single: `jgrad train --threads 2 --validation 0`, one process.
Each round runs both (which goes first alternates), each run timed on its own; the figure of a
run is its median samples/s over the steady epochs (every epoch after the first). Prints the
load average beside every run, the per-step split of the Spark runs (compute, gradient sums,
waiting for the peer) over the same steady epochs, the medians and their ratio, and writes
everything as JSON.

  jgrad-bench/scripts/spark-throughput.py [--rounds 3] [--epochs 4] [--transport auto|tcp|both] [--lock FILE] [--out FILE]

--transport: how the Spark ranks sum (auto: shared memory on one host; tcp: the TCP ring;
both: each round runs the Spark side once with each, so the two transports alternate too).

--lock FILE: hold an exclusive flock on FILE during each timed run (for machines shared with
builds that take it shared). Build first (./build package) and start the cluster
(scripts/spark-cluster.sh start).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = "/usr/share/datasets/fashion-mnist"


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def run(cmd, lock):
    if lock:
        cmd = ["flock", "-x", lock] + cmd
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stdout[-4000:] + p.stderr[-4000:])
        raise SystemExit(f"failed ({p.returncode}): {' '.join(cmd)}")
    return p.stdout


def last_json(text):
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise SystemExit("no JSON line in the output:\n" + text[-2000:])


def single(epochs, lock):
    before = load()
    out = run(["./jgrad", "train", "--data", DATA, "--layers", "256:relu,128:relu", "--optimizer", "adam",
               "--batch", "128", "--epochs", str(epochs), "--threads", "2", "--seed", "1", "--validation", "0",
               "--json", "--quiet"], lock)
    doc = last_json(out)
    seconds = [e["seconds"] for e in doc["epochs"]]
    return {"kind": "single", "load_before": before, "load_after": load(), "epoch_seconds": seconds,
            "samples_per_second": 60000 / statistics.median(seconds[1:]), "test_accuracy": doc.get("test_accuracy")}


def spark(epochs, lock, transport):
    before = load()
    out = run(["scripts/spark-cluster.sh", "submit", "dev.jgrad.spark.examples.FashionMnistPipeline",
               "--epochs", str(epochs), "--transport", transport], lock)
    doc = last_json(out)
    seconds = doc["epoch_seconds"]
    ranks = []
    for r in doc["rank_times"]:
        steady = r["epochs"][1:]   # as for samples/s: the first epoch warms the JIT compiler up
        steps = sum(e["steps"] for e in steady)
        ranks.append({"rank": r["rank"], "compute_ms": 1e3 * sum(e["compute"] for e in steady) / steps,
                      "sum_ms": 1e3 * sum(e["sum"] for e in steady) / steps, "wait_ms": 1e3 * sum(e["wait"] for e in steady) / steps})
    return {"kind": "spark-" + transport, "load_before": before, "load_after": load(), "epoch_seconds": seconds,
            "samples_per_second": 60000 / statistics.median(seconds[1:]), "test_accuracy": doc["test_accuracy"],
            "fit_seconds": doc["fit_seconds"], "per_step": ranks}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--lock")
    ap.add_argument("--transport", default="auto", choices=["auto", "tcp", "both"])
    ap.add_argument("--out", default=os.path.join(ROOT, "jgrad-bench", "target", "spark-throughput.json"))
    a = ap.parse_args()
    if a.epochs < 2:
        raise SystemExit("--epochs must be 2 or more: the first epoch warms up and is left out")
    if subprocess.run(["scripts/spark-cluster.sh", "status"], cwd=ROOT, capture_output=True).returncode != 0:
        raise SystemExit("the cluster is not running: scripts/spark-cluster.sh start")
    with open("/proc/cpuinfo") as f:
        cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "unknown")
    print(f"{cpu}, {os.cpu_count()} cores; {a.rounds} rounds of {a.epochs} epochs", flush=True)
    runs = []
    for r in range(a.rounds):
        transports = ["auto", "tcp"] if a.transport == "both" else [a.transport]
        if r % 2 == 1:
            transports.reverse()
        sides = [lambda: single(a.epochs, a.lock)] + [lambda t=t: spark(a.epochs, a.lock, t) for t in transports]
        for f in (sides if r % 2 == 0 else sides[::-1]):
            x = f()
            x["round"] = r + 1
            runs.append(x)
            line = (f"round {r + 1} {x['kind']:11s} {x['samples_per_second']:9,.0f} samples/s  epochs "
                    + " ".join(f"{s:.2f}" for s in x["epoch_seconds"]) + f" s  load {x['load_before']} -> {x['load_after']}")
            if x["kind"] != "single":
                line += "  per step: " + "; ".join(
                    f"rank {p['rank']} compute {p['compute_ms']:.2f} ms, sums {p['sum_ms']:.2f} ms (waiting {p['wait_ms']:.2f})"
                    for p in x["per_step"])
            print(line, flush=True)
    kinds = sorted({x["kind"] for x in runs})
    med = {k: statistics.median(x["samples_per_second"] for x in runs if x["kind"] == k) for k in kinds}
    ratios = {k: med[k] / med["single"] for k in kinds if k != "single"}
    for k, ratio in ratios.items():
        print(f"median samples/s: single process {med['single']:,.0f}, Spark 2x1 ({k}) {med[k]:,.0f}; "
              f"ratio {ratio:.3f} (goal >= 0.7: {'met' if ratio >= 0.7 else 'missed'})")
    ratio = ratios
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump({"cpu": cpu, "cores": os.cpu_count(), "epochs": a.epochs, "runs": runs, "median": med, "ratio": ratio}, f, indent=1)


if __name__ == "__main__":
    main()
