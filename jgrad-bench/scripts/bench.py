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

--isa avx2 measures the AVX2 configuration on a processor with AVX-512: every jgrad JVM runs with
-XX:UseAVX=2 (256-bit vectors and the 16 registers of AVX2, so the kernels pick the tile an AVX2
machine gets), OpenBLAS is pinned to its Zen (AVX2) kernels for both peers and PyTorch's own
kernels to AVX2; each is checked. The instruction set and register file are those of an AVX2
machine; its caches and clocks are not.

A ratio is printed only against a peer at its best, checked in this run: OpenBLAS is installed
when it is missing (as root, with apt-get), PyTorch's sgemm_ must resolve to OpenBLAS in a
process started exactly as the benchmark starts it (the dynamic linker's own account,
LD_DEBUG=bindings, and the library's openblas_get_config), and the OpenBLAS that the GEMM
comparison calls must say it is OpenBLAS with its kernels chosen for this CPU (no core type
pinned through OPENBLAS_CORETYPE). When a check fails, the numbers are printed without ratios
and the reason is said.
"""
import argparse, ctypes, json, os, re, shutil, statistics, subprocess, sys, time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OPENBLAS = "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3"
# The three forms of each layer of 784-256-128-10 at batch 128 (m x n x k; as GemmBenchmark), then squares.
SHAPES = ["128x256x784:NT", "256x784x128:TN", "128x784x256:NN",
          "128x128x256:NT", "128x256x128:TN", "128x256x128:NN",
          "128x10x128:NT", "10x128x128:TN", "128x128x10:NN",
          "256:NN", "512:NN", "1024:NN"]


PYTHON = "/usr/bin/python3"
# "native": what the processor offers; "avx2": see the module's docstring.
ISA = "native"
AVX2_OPENBLAS_CORE = "Zen"


def isa_jvm_flags():
    return ["-XX:UseAVX=2"] if ISA == "avx2" else []
APT_PACKAGES = ["libopenblas0-pthread", "python3-torch", "python3-numpy"]


def ensure_peers():
    """Installs what the peers need when it is missing and this process may (root, apt-get)."""
    missing = not os.path.exists(OPENBLAS)
    if not missing:
        missing = subprocess.run([PYTHON, "-c", "import torch, numpy"], capture_output=True).returncode != 0
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print(f"note: {' / '.join(APT_PACKAGES)} missing and this process cannot install them")
        return
    print("installing the peers: " + " ".join(APT_PACKAGES), flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
    subprocess.run(["apt-get", "install", "-y", "-qq", *APT_PACKAGES], env=env, check=False)


# Run inside the PyTorch process: a product through torch's BLAS, then the library that the
# dynamic linker bound to sgemm_ (from LD_DEBUG on stderr) asked who it is.
TORCH_PROBE = r"""
import json, re, torch
a = torch.ones(64, 64); (a @ a).sum().item()
cfg = torch.__config__.show()
find = lambda p: (re.search(p, cfg) or [None, "?"])[1]
print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                  "blas_info": "BLAS_INFO=" + find(r"BLAS_INFO=(\w+)") + ", CPU capability " + find(r"CPU capability usage: (\S+)")}))
"""


def verify_torch_blas(torch_threads, blas_threads):
    """Whether PyTorch, started as the benchmark starts it, runs its sgemm_ on OpenBLAS; and which core type."""
    env = dict(torch_env(torch_threads, blas_threads), LD_DEBUG="bindings")
    r = subprocess.run([PYTHON, "-c", TORCH_PROBE], capture_output=True, text=True, env=env)
    if r.returncode != 0:
        return {"ok": False, "reason": "PyTorch does not start: " + r.stderr.strip().splitlines()[-1:][0] if r.stderr.strip() else "?"}
    info = json.loads(r.stdout.strip().splitlines()[-1])
    bound = [m.group(1) for m in re.finditer(r"binding file \S*libtorch_cpu\S* \[\d+\] to (\S+) \[\d+\]: normal symbol `sgemm_'",
                                             r.stderr)]
    if not bound:
        return dict(info, ok=False, reason="PyTorch never bound sgemm_ (LD_DEBUG=bindings shows no binding from libtorch_cpu)")
    lib = os.path.realpath(bound[0])
    info["sgemm_from"] = lib
    probe = ("import ctypes, sys; l = ctypes.CDLL(sys.argv[1]); l.openblas_get_config.restype = ctypes.c_char_p; "
             "l.openblas_get_corename.restype = ctypes.c_char_p; "
             "print(l.openblas_get_config().decode()); print(l.openblas_get_corename().decode())")
    q = subprocess.run([PYTHON, "-c", probe, lib], capture_output=True, text=True, env=torch_env(torch_threads, blas_threads))
    if q.returncode != 0:
        return dict(info, ok=False, reason=f"PyTorch's sgemm_ comes from {lib}, which is not OpenBLAS "
                                           "(no openblas_get_config): the reference BLAS")
    info["openblas_config"], info["openblas_core"] = q.stdout.strip().splitlines()[:2]
    if ISA == "avx2" and info["openblas_core"] != AVX2_OPENBLAS_CORE:
        return dict(info, ok=False, reason=f"OpenBLAS chose {info['openblas_core']}, not its {AVX2_OPENBLAS_CORE} (AVX2) kernels")
    if ISA == "avx2" and "AVX2" not in info["blas_info"]:
        return dict(info, ok=False, reason=f"PyTorch's own kernels do not run at AVX2: {info['blas_info']}")
    info["ok"] = True
    return info


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


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
    if ISA == "avx2":
        env["OPENBLAS_CORETYPE"] = AVX2_OPENBLAS_CORE
        env["ATEN_CPU_CAPABILITY"] = "avx2"
    if os.path.exists(OPENBLAS):
        env["LD_PRELOAD"] = OPENBLAS
    return env


def steady(epochs):
    rates = [e["samples_per_second"] for e in epochs]
    return statistics.median(rates[1:] if len(rates) > 1 else rates)


def overall(epochs):
    """Samples per second over the whole training loop, the first epoch (JIT warm-up) included."""
    return sum(e["samples_per_second"] * e["seconds"] for e in epochs) / sum(e["seconds"] for e in epochs)


def jgrad_env():
    env = dict(os.environ)
    if ISA == "avx2":
        env["JGRAD_JAVA_OPTS"] = (env.get("JGRAD_JAVA_OPTS", "") + " -XX:UseAVX=2").strip()
    return env


def run_jgrad(data, epochs, threads):
    out = subprocess.run([os.path.join(ROOT, "jgrad"), "train", "--data", data, "--layers", "256:relu,128:relu",
                          "--optimizer", "adam", "--lr", "1e-3", "--batch", "128", "--epochs", str(epochs),
                          "--validation", "0", "--threads", str(threads), "--json", "--quiet"],
                         capture_output=True, text=True, check=True, env=jgrad_env()).stdout
    d = json.loads(out)
    kernels = d["config"]["kernels"]
    if ISA == "avx2" and "256-bit" not in kernels:
        sys.exit(f"--isa avx2 but jgrad train chose {kernels}")
    return steady(d["epochs"]), overall(d["epochs"]), d["test_accuracy"], d["epochs"][0]["seconds"]


def run_torch(data, epochs, torch_threads, blas_threads):
    out = subprocess.run([sys.executable if os.path.exists("/usr/bin/python3") is False else "/usr/bin/python3",
                          os.path.join(ROOT, "jgrad-bench", "scripts", "pytorch_mlp.py"), "--data", data,
                          "--epochs", str(epochs), "--threads", str(torch_threads)],
                         capture_output=True, text=True, check=True, env=torch_env(torch_threads, blas_threads)).stdout
    d = json.loads(out.strip().splitlines()[-1])
    return steady(d["epochs"]), overall(d["epochs"]), d["test_accuracy"], d["epochs"][0]["seconds"]


def gemm_compare(threads):
    """jgrad and OpenBLAS's cblas_sgemm in one JVM, alternating round by round (Harness compare)."""
    out = subprocess.run([java(), *isa_jvm_flags(), "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                          "-cp", os.path.join(ROOT, "jgrad-bench", "target", "jgrad-bench.jar"), "dev.jgrad.bench.Harness",
                          "compare", *SHAPES, "--threads", str(threads)],
                         capture_output=True, text=True, check=True,
                         env=dict(torch_env(1, threads), OPENBLAS_THREAD_TIMEOUT="4")).stdout
    lines = [json.loads(l) for l in out.strip().splitlines()]
    setup = next(j for j in lines if j["kind"] == "setup")
    return setup, {j["shape"]: j for j in lines if j["kind"] == "gemm_compare"}


def inference_jgrad(threads):
    out = subprocess.run([java(), *isa_jvm_flags(), "--add-modules", "jdk.incubator.vector", "-cp",
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
    ap.add_argument("--startup", type=int, default=0, metavar="N",
                    help="also time `jgrad predict` of one row through ./jgrad, N runs with and N without the AOT cache "
                         "and N of the bare JVM, interleaved")
    ap.add_argument("--isa", choices=["native", "avx2"], default="native",
                    help="avx2: measure the AVX2 configuration on an AVX-512 processor (see above)")
    a = ap.parse_args()
    global ISA
    ISA = a.isa
    subprocess.run([os.path.join(ROOT, "build"), "package"], check=True, cwd=ROOT)
    ensure_peers()
    flags = cpu_flags()
    width = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    if ISA == "avx2":
        if "avx2" not in flags:
            sys.exit("--isa avx2: this processor has no AVX2")
        width = (f"AVX2 (on an {width} processor: jgrad's JVMs with -XX:UseAVX=2, OpenBLAS on its "
                 f"{AVX2_OPENBLAS_CORE} kernels, PyTorch's kernels at AVX2)" if width != "AVX2" else width)
    results = {"machine": {"nproc": os.cpu_count(), "cpu": cpu_name(), "vector_isa": width},
               "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    print(f"CPU: {cpu_name()}, {os.cpu_count()} logical CPUs, {width}; load average {os.getloadavg()[0]:.1f} at start")
    pinned = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    if pinned and ISA == "native":
        print(f"note: the environment sets {pinned}; the peers run without it, so OpenBLAS picks its kernels for this CPU")

    if not a.skip_gemm:
        results["gemm"] = {}
        for t in (1, 2):
            setup, rows = gemm_compare(t)
            results["gemm"][t] = rows
            results.setdefault("gemm_setup", {})[t] = setup
        setup = results["gemm_setup"][1]
        blas_ok = setup["openblas_config"].startswith("OpenBLAS")
        if ISA == "avx2" and (setup["openblas_core"] != AVX2_OPENBLAS_CORE or "256-bit" not in setup["jgrad_kernels"]):
            print(f"NO RATIOS: --isa avx2 but OpenBLAS runs {setup['openblas_core']} and jgrad {setup['jgrad_kernels']}")
            blas_ok = False
        print(f"jgrad: {setup['jgrad_kernels']}")
        print(f"GEMM peer: {setup['openblas_library']}: {setup['openblas_config']} (kernels for {setup['openblas_core']})")
        print("\nGEMM GFLOP/s, jgrad and OpenBLAS sgemm alternating in one process (OPENBLAS_NUM_THREADS = jgrad's "
              "threads): medians of 301 rounds, the median per-round ratio with its quartiles, and the ratio of the fastest rounds")
        if not blas_ok:
            print("NO RATIOS: the library called is not OpenBLAS")
        print(f"{'shape':16} {'threads':>7} {'jgrad':>7} {'OpenBLAS':>9} {'ratio':>6} {'quartiles':>11} {'best':>13} {'ratio':>6}")
        for t, rows in results["gemm"].items():
            for s, r in rows.items():
                best = r["best_jgrad_gflops"] / r["best_openblas_gflops"]
                if blas_ok:
                    print(f"{s:16} {t:>7} {r['jgrad_gflops']:>7.1f} {r['openblas_gflops']:>9.1f} {r['ratio']:>6.2f} "
                          f"{r['ratio_q1']:>5.2f}-{r['ratio_q3']:<5.2f} {r['best_jgrad_gflops']:>6.1f}/{r['best_openblas_gflops']:<6.1f} {best:>6.2f}")
                else:
                    print(f"{s:16} {t:>7} {r['jgrad_gflops']:>7.1f} {'-':>9}")

    # Inference runs with or without the GEMM comparison.
    results["inference"] = {t: inference_jgrad(t) for t in (1, 2)}
    for t, r in results["inference"].items():
        print(f"inference, {t} thread(s): Predictor one sample {r['predictor_batch_1_median_us']:.1f} µs, batch of 128 "
              f"{r['predictor_batch_128_median_us']:.0f} µs; Sequential.forward one sample {r['batch_1_median_us']:.1f} µs, "
              f"batch of 128 {r['batch_128_median_us']:.0f} µs")

    if a.startup:
        results["startup"] = startup(a.data, a.startup)
        for k, v in results["startup"].items():
            what = k if k.startswith("JVM floor") else f"jgrad predict, one CSV row, start to exit, {k}"
            same = "" if k.startswith("JVM floor") else f"same output with and without: {v['same_output']}; "
            print(f"{what}: wall median {v['wall_median']:.3f} s (fastest {v['wall_min']:.3f}), "
                  f"CPU (user+sys) median {v['cpu_median']:.3f} s; {same}"
                  f"load average {v['load_average'][0]:.1f} before, {v['load_average'][1]:.1f} after")

    if a.skip_train:
        if a.json:
            with open(a.json, "w") as f:
                json.dump(results, f, indent=1)
        return
    configs = [("jgrad", 1, None), ("jgrad", 2, None), ("pytorch", 1, 1), ("pytorch", 1, 2), ("pytorch", 2, 2)]
    checks = {(t, blas): verify_torch_blas(t, blas) for name, t, blas in configs if name == "pytorch"}
    results["pytorch_blas"] = {f"threads={t} blas={b}": v for (t, b), v in checks.items()}
    torch_ok = all(v["ok"] for v in checks.values())
    for (t, b), v in checks.items():
        if v["ok"]:
            print(f"PyTorch {v['torch']} threads={t} blas={b}: sgemm_ from {v['sgemm_from']} ({v['openblas_config']}; "
                  f"kernels for {v['openblas_core']}); {v['blas_info']}")
        else:
            print(f"PyTorch threads={t} blas={b}: NOT ON OPENBLAS: {v['reason']}")
    if not torch_ok:
        print("NO RATIOS against PyTorch in this run: it is not at its best (see above)")
    train = {}
    for rnd in range(a.runs):
        for name, t, blas in configs:   # interleaved, so drift in the machine's load hits every config alike
            key = f"{name} threads={t}" + (f" blas={blas}" if blas else "")
            rate, whole, acc, first = run_jgrad(a.data, a.epochs, t) if name == "jgrad" else run_torch(a.data, a.epochs, t, blas)
            train.setdefault(key, []).append((rate, whole, acc, first))
            print(f"run {rnd + 1}: {key:28} {rate:>9,.0f} samples/s  (whole loop {whole:>7,.0f})  test accuracy {acc:.4f}",
                  flush=True)
    results["training"] = {k: {"samples_per_second": statistics.median(r for r, _, _, _ in v),
                               "whole_loop_samples_per_second": statistics.median(w for _, w, _, _ in v),
                               "test_accuracy": statistics.median(x for _, _, x, _ in v),
                               "first_epoch_seconds": statistics.median(f for _, _, _, f in v), "runs": v}
                           for k, v in train.items()}
    best_torch = max((v["samples_per_second"], k) for k, v in results["training"].items() if k.startswith("pytorch"))
    best_whole = max((v["whole_loop_samples_per_second"], k) for k, v in results["training"].items() if k.startswith("pytorch"))
    if not torch_ok:
        best_torch = (float("nan"), best_torch[1] + " (not on OpenBLAS: no ratio)")
        best_whole = (float("nan"), best_whole[1])
    print(f"\nTraining throughput, {a.epochs} epochs, {a.runs} runs: medians over runs of the median epoch after the first,")
    print("and of the whole training loop (first epoch, with the JIT's warm-up, included)")
    print(f"{'configuration':28} {'samples/s':>10} {'vs best PyTorch':>16} {'whole loop':>11} {'vs best':>8} {'test acc':>9}")
    for k, v in results["training"].items():
        w = v["whole_loop_samples_per_second"]
        r1 = f"{v['samples_per_second'] / best_torch[0]:>16.2f}" if torch_ok else f"{'-':>16}"
        r2 = f"{w / best_whole[0]:>8.2f}" if torch_ok else f"{'-':>8}"
        print(f"{k:28} {v['samples_per_second']:>10,.0f} {r1} {w:>11,.0f} {r2} {v['test_accuracy']:>9.4f}  "
              f"first epoch {v['first_epoch_seconds']:.2f} s")
    j1, j2 = results["training"].get("jgrad threads=1"), results["training"].get("jgrad threads=2")
    if j1 and j2:
        print(f"jgrad from one thread to two: {j2['samples_per_second'] / j1['samples_per_second']:.2f}x")
    print(f"best PyTorch: {best_torch[1]} ({best_torch[0]:,.0f} samples/s; whole loop: {best_whole[1]}, {best_whole[0]:,.0f}); "
          "PyTorch runs with OMP_WAIT_POLICY=passive and OpenBLAS preloaded")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


def startup(data, n):
    """`jgrad predict` of one test image as a CSV row, process start to exit, as a user runs it:
    through ./jgrad (launcher, JDK lookup, staleness check, JVM), with and without the AOT cache,
    interleaved, after one untimed run of each (the first run after a build makes the cache).
    Beside them, the floor: the same JVM started with the launcher's flags to print its version."""
    import gzip, tempfile
    tmp = tempfile.mkdtemp()
    model, row = os.path.join(tmp, "m.safetensors"), os.path.join(tmp, "row.csv")
    subprocess.run([os.path.join(ROOT, "jgrad"), "train", "--data", data, "--epochs", "1", "--quiet", "--out", model],
                   check=True, capture_output=True, env=jgrad_env())
    with gzip.open(os.path.join(data, "t10k-images-idx3-ubyte.gz")) as f:
        pixels = f.read()[16:16 + 784]
    with open(row, "w") as f:
        f.write(",".join(map(str, pixels)) + "\n")
    predict = [os.path.join(ROOT, "jgrad"), "predict", "--model", model, "--input", row]
    runs = {"aot": (predict, "1"), "no aot": (predict, "0"),
            "JVM floor (java -version, same flags)": ([java(), *isa_jvm_flags(), "--add-modules", "jdk.incubator.vector",
                                                       "-XX:+UseSerialGC", "-XX:-UsePerfData", "-version"], "1")}
    for cmd, flag in runs.values():
        subprocess.run(cmd, check=True, capture_output=True, env=dict(jgrad_env(), JGRAD_AOT=flag))
    times, outputs = {k: [] for k in runs}, {}
    load_before = os.getloadavg()[0]
    for _ in range(n):
        for key, (cmd, flag) in runs.items():
            t0, r0 = time.perf_counter(), os.times()
            out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=dict(jgrad_env(), JGRAD_AOT=flag)).stdout
            wall, r1 = time.perf_counter() - t0, os.times()
            times[key].append((wall, (r1.children_user - r0.children_user) + (r1.children_system - r0.children_system)))
            outputs[key] = out
    load_after = os.getloadavg()[0]
    same = outputs["aot"] == outputs["no aot"]
    shutil.rmtree(tmp)
    return {k: {"wall_median": statistics.median(w for w, _ in v), "wall_min": min(w for w, _ in v),
                "cpu_median": statistics.median(c for _, c in v), "same_output": same,
                "load_average": [load_before, load_after]} for k, v in times.items()}


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
