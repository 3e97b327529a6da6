#!/usr/bin/env python3
"""jgrad against its peers, in one run on one machine.

  * training: Fashion-MNIST 60k, MLP 784-256-128-10, ReLU, softmax cross-entropy, Adam 1e-3,
    batch 128, shuffled; `jgrad train` against PyTorch (Debian's python3-torch on OpenBLAS)
    in several thread settings; samples/s of the training loop only;
  * GEMM: jgrad's kernels against OpenBLAS's cblas_sgemm at the MLP's shapes, both in one JVM
    (OpenBLAS through the foreign function API), alternating round by round;
  * inference latency of the same MLP, one sample and a batch of 128.

Each number is a median: over the epochs after the first (warm-up) of each run, then over runs.
Run from the repository root:  python3 jgrad-bench/scripts/bench.py [--epochs 4] [--runs 3]
"""
import argparse, json, os, statistics, subprocess, sys, time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OPENBLAS = "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3"
# The three forms of each layer of 784-256-128-10 at batch 128 (m x n x k; as GemmBenchmark), then squares.
SHAPES = ["128x256x784:NT", "256x784x128:TN", "128x784x256:NN",
          "128x128x256:NT", "128x256x128:TN", "128x256x128:NN",
          "128x10x128:NT", "10x128x128:TN", "128x128x10:NN",
          "256:NN", "512:NN", "1024:NN"]


def java():
    home = subprocess.run(["bash", "-c", "source scripts/find-jdk.sh && echo $JAVA_HOME"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout.strip()
    return os.path.join(home, "bin", "java")


def torch_env(torch_threads, blas_threads):
    env = dict(os.environ)
    env.update({"OMP_WAIT_POLICY": "passive", "OPENBLAS_NUM_THREADS": str(blas_threads),
                "OMP_NUM_THREADS": str(torch_threads)})
    # Debian's torch calls the reference BLAS unless OpenBLAS is loaded first; the environment may
    # also pin an OpenBLAS core type, which would slow the peer down (see the environment notes).
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    if os.path.exists(OPENBLAS):
        env["LD_PRELOAD"] = OPENBLAS
    return env


def steady(epochs):
    rates = [e["samples_per_second"] for e in epochs]
    return statistics.median(rates[1:] if len(rates) > 1 else rates)


def overall(epochs):
    """Samples per second over the whole training loop, the first epoch (JIT warm-up) included."""
    return sum(e["samples_per_second"] * e["seconds"] for e in epochs) / sum(e["seconds"] for e in epochs)


def run_jgrad(data, epochs, threads):
    out = subprocess.run([os.path.join(ROOT, "jgrad"), "train", "--data", data, "--layers", "256:relu,128:relu",
                          "--optimizer", "adam", "--lr", "1e-3", "--batch", "128", "--epochs", str(epochs),
                          "--validation", "0", "--threads", str(threads), "--json", "--quiet"],
                         capture_output=True, text=True, check=True).stdout
    d = json.loads(out)
    return steady(d["epochs"]), overall(d["epochs"]), d["test_accuracy"]


def run_torch(data, epochs, torch_threads, blas_threads):
    out = subprocess.run([sys.executable if os.path.exists("/usr/bin/python3") is False else "/usr/bin/python3",
                          os.path.join(ROOT, "jgrad-bench", "scripts", "pytorch_mlp.py"), "--data", data,
                          "--epochs", str(epochs), "--threads", str(torch_threads)],
                         capture_output=True, text=True, check=True, env=torch_env(torch_threads, blas_threads)).stdout
    d = json.loads(out.strip().splitlines()[-1])
    return steady(d["epochs"]), overall(d["epochs"]), d["test_accuracy"]


def gemm_compare(threads):
    """jgrad and OpenBLAS's cblas_sgemm in one JVM, alternating round by round (Harness compare)."""
    out = subprocess.run([java(), "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                          "-cp", os.path.join(ROOT, "jgrad-bench", "target", "jgrad-bench.jar"), "dev.jgrad.bench.Harness",
                          "compare", *SHAPES, "--threads", str(threads)],
                         capture_output=True, text=True, check=True,
                         env=dict(torch_env(1, threads), OPENBLAS_THREAD_TIMEOUT="4")).stdout
    return {j["shape"]: j for j in map(json.loads, out.strip().splitlines())}


def inference_jgrad(threads):
    out = subprocess.run([java(), "--add-modules", "jdk.incubator.vector", "-cp",
                          os.path.join(ROOT, "jgrad-bench", "target", "jgrad-bench.jar"), "dev.jgrad.bench.Harness",
                          "inference", "--threads", str(threads)], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-gemm", action="store_true")
    ap.add_argument("--skip-train", action="store_true")
    ap.add_argument("--json", help="also write all numbers to this file")
    a = ap.parse_args()
    subprocess.run([os.path.join(ROOT, "build"), "package"], check=True, cwd=ROOT)
    results = {"machine": {"nproc": os.cpu_count(), "cpu": cpu_name()}, "started": time.strftime("%Y-%m-%d %H:%M:%S")}

    if not a.skip_gemm:
        results["gemm"] = {t: gemm_compare(t) for t in (1, 2)}
        print("\nGEMM GFLOP/s, jgrad and OpenBLAS sgemm alternating in one process: medians of 301 rounds,")
        print("the median per-round ratio with its quartiles, and the ratio of the fastest rounds")
        print(f"{'shape':16} {'threads':>7} {'jgrad':>7} {'OpenBLAS':>9} {'ratio':>6} {'quartiles':>11} {'best':>13} {'ratio':>6}")
        for t, rows in results["gemm"].items():
            for s, r in rows.items():
                best = r["best_jgrad_gflops"] / r["best_openblas_gflops"]
                print(f"{s:16} {t:>7} {r['jgrad_gflops']:>7.1f} {r['openblas_gflops']:>9.1f} {r['ratio']:>6.2f} "
                      f"{r['ratio_q1']:>5.2f}-{r['ratio_q3']:<5.2f} {r['best_jgrad_gflops']:>6.1f}/{r['best_openblas_gflops']:<6.1f} {best:>6.2f}")
        results["inference"] = {t: inference_jgrad(t) for t in (1, 2)}
        for t, r in results["inference"].items():
            print(f"inference, {t} thread(s): one sample {r['batch_1_median_us']:.1f} µs, batch of 128 {r['batch_128_median_us']:.0f} µs")

    if a.skip_train:
        if a.json:
            with open(a.json, "w") as f:
                json.dump(results, f, indent=1)
        return
    configs = [("jgrad", 1, None), ("jgrad", 2, None), ("pytorch", 1, 1), ("pytorch", 1, 2), ("pytorch", 2, 2)]
    train = {}
    for rnd in range(a.runs):
        for name, t, blas in configs:   # interleaved, so drift in the machine's load hits every config alike
            key = f"{name} threads={t}" + (f" blas={blas}" if blas else "")
            rate, whole, acc = run_jgrad(a.data, a.epochs, t) if name == "jgrad" else run_torch(a.data, a.epochs, t, blas)
            train.setdefault(key, []).append((rate, whole, acc))
            print(f"run {rnd + 1}: {key:28} {rate:>9,.0f} samples/s  (whole loop {whole:>7,.0f})  test accuracy {acc:.4f}",
                  flush=True)
    results["training"] = {k: {"samples_per_second": statistics.median(r for r, _, _ in v),
                               "whole_loop_samples_per_second": statistics.median(w for _, w, _ in v),
                               "test_accuracy": statistics.median(x for _, _, x in v), "runs": v} for k, v in train.items()}
    best_torch = max((v["samples_per_second"], k) for k, v in results["training"].items() if k.startswith("pytorch"))
    best_whole = max((v["whole_loop_samples_per_second"], k) for k, v in results["training"].items() if k.startswith("pytorch"))
    print(f"\nTraining throughput, {a.epochs} epochs, {a.runs} runs: medians over runs of the median epoch after the first,")
    print("and of the whole training loop (first epoch, with the JIT's warm-up, included)")
    print(f"{'configuration':28} {'samples/s':>10} {'vs best PyTorch':>16} {'whole loop':>11} {'vs best':>8} {'test acc':>9}")
    for k, v in results["training"].items():
        w = v["whole_loop_samples_per_second"]
        print(f"{k:28} {v['samples_per_second']:>10,.0f} {v['samples_per_second'] / best_torch[0]:>16.2f} "
              f"{w:>11,.0f} {w / best_whole[0]:>8.2f} {v['test_accuracy']:>9.4f}")
    print(f"best PyTorch: {best_torch[1]} ({best_torch[0]:,.0f} samples/s; whole loop: {best_whole[1]}, {best_whole[0]:,.0f}); "
          "PyTorch runs with OMP_WAIT_POLICY=passive and OpenBLAS preloaded")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


if __name__ == "__main__":
    main()
