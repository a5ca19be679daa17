import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { synthetic } from "@sparselab/datasets";
import { useBackend } from "../backend/index.js";
import { benchEngine, formatEngineBench, type EngineBenchResult, type EngineBenchRow } from "../engine/index.js";
import { benchKernels, defaultKernels, formatKernelBench } from "../kernels/index.js";
import { MaskSet } from "../masks/index.js";
import { conv2, mlp, type ConvSpec, type Net } from "../nets/index.js";
import { trainMasked } from "../train/loop.js";

/**
 * `npm run bench [-- --json] [-- --kernels]`: LeNet-300-100 (batch 128, SGD + momentum) training
 * and inference samples/s on sparselab's kernels engine (each implementation that loads, dense and
 * ERK 80/90/95/98%), on tfjs for reference, and in PyTorch in the same run when /usr/bin/python3
 * can import torch; then Conv-2 (width 0.25: the same sparsities; width 1: dense and 90%) on the
 * default kernels, against tfjs and PyTorch dense. Medians of repeated runs; the ratios are what to compare
 * across machines.
 */
const SIZES = [784, 300, 100, 10];
const BATCH = 128;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Dense training on tfjs through the real loop; the median of `reps` runs of `steps` steps (the first `warmup` untimed). */
async function tfjsDenseTrainRate(makeNet: (seed: number) => Net, { steps = 30, warmup = 5, reps = 3 } = {}): Promise<number> {
  const probe = makeNet(0), features = probe.features;
  probe.dispose();
  const data = synthetic({ train: BATCH * steps, test: BATCH, validation: 0, features, seed: 1 });
  const rates: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const net = makeNet(rep);
    let warm = 0, last = 0;
    await trainMasked({
      net, masks: MaskSet.dense(net.prunable), data, engine: "tfjs",
      train: { epochs: 1, batchSize: BATCH, seed: rep, optimizer: { name: "sgd", lr: 0.01, momentum: 0.9 } },
      onEvent: (e) => {
        if (e.type !== "step") return;
        if (e.step === warmup) warm = performance.now();
        last = performance.now();
      },
    });
    rates.push(((steps - warmup) * BATCH) / ((last - warm) / 1000));
    net.dispose();
  }
  return median(rates);
}

type Torch = { torch: string; torchThreads: number; trainSamplesPerSec: number; inferSamplesPerSec: number } | { unavailable: string };

/** PyTorch on the same net in its best thread setting here: OpenBLAS on 2 threads, torch's own pool on 1 or 2 (the faster training). */
function torchReference(net: string[]): Torch {
  const script = fileURLToPath(new URL("../../bench/torch_reference.py", import.meta.url));
  let best: Torch = { unavailable: "not run" };
  for (const torchThreads of [1, 2]) {
    try {
      const out = execFileSync("/usr/bin/python3", [script, ...net, "--batch", String(BATCH), "--torch-threads", String(torchThreads)], {
        env: { ...process.env, OPENBLAS_NUM_THREADS: "2" }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"],
      });
      const run = { ...JSON.parse(out.trim().split("\n").pop()!), torchThreads };
      if (!("trainSamplesPerSec" in best) || run.trainSamplesPerSec > best.trainSamplesPerSec) best = run;
    } catch (error) {
      return { unavailable: (error as Error).message.split("\n")[0] };
    }
  }
  return best;
}

function fastest(rows: readonly EngineBenchRow[], sparsity: number): EngineBenchRow | undefined {
  return rows.filter((r) => r.sparsity === sparsity).sort((a, b) => b.trainSamplesPerSec - a.trainSamplesPerSec)[0];
}

/** Conv-2 at `width` on the default kernels (a conv step takes 0.1–1.5 s here: few steps per sample). */
function convBench(width: number, sparsities: number[], steps: number, samples: number): Promise<EngineBenchResult> {
  const net = conv2({ width });
  const spec = net.spec as ConvSpec;
  net.dispose();
  return benchEngine({ conv: spec, batch: BATCH, sparsities, steps, samples, warmup: 1, implementations: [defaultKernels().name] });
}

const at = (result: EngineBenchResult, sparsity: number) => result.rows.find((r) => r.sparsity === sparsity)!;

async function main() {
  const json = process.argv.includes("--json");
  const backend = await useBackend();
  const engine = await benchEngine({ sizes: SIZES, batch: BATCH, sparsities: [0, 0.8, 0.9, 0.95, 0.98], implementations: ["addon", "wasm"] });
  const tfjsDense = await tfjsDenseTrainRate((seed) => mlp(SIZES, { seed }));
  const torch = torchReference(["--net", "mlp", "--sizes", SIZES.join(",")]);
  const kernels = process.argv.includes("--kernels") ? benchKernels({ implementations: ["addon", "wasm"] }) : undefined;
  const convSmall = await convBench(0.25, [0, 0.8, 0.9, 0.95, 0.98], 4, 3);
  const convFull = await convBench(1, [0, 0.9], 2, 2);
  const tfjsConv = await tfjsDenseTrainRate((seed) => conv2({ width: 0.25, seed }), { steps: 8, warmup: 2, reps: 1 });
  const torchConv = torchReference(["--net", "conv2", "--width", "0.25", "--steps", "20", "--reps", "3"]);

  const dense = fastest(engine.rows, 0)!;
  // Sparse ratios compare one implementation with itself, so the kernel path is the only change.
  const sparse90 = engine.rows.find((r) => r.sparsity === 0.9 && r.kernels === dense.kernels && r.threads === dense.threads)!;
  const torchTrain = "trainSamplesPerSec" in torch ? torch.trainSamplesPerSec : NaN;
  const torchConvTrain = "trainSamplesPerSec" in torchConv ? torchConv.trainSamplesPerSec : NaN;
  const wasmDense = engine.rows.find((r) => r.kernels === "wasm" && r.sparsity === 0);
  const result = {
    net: `mlp:${SIZES.join("-")}`, batch: BATCH, tfjsBackend: backend.name, fastestPath: `${dense.kernels}×${dense.threads}`,
    samplesPerSec: {
      denseTrain: dense.trainSamplesPerSec, sparse90Train: sparse90.trainSamplesPerSec,
      denseInfer: dense.inferSamplesPerSec, sparse90Infer: sparse90.inferSamplesPerSec,
      tfjsDenseTrain: tfjsDense, torchDenseTrain: torchTrain,
      torchDenseInfer: "inferSamplesPerSec" in torch ? torch.inferSamplesPerSec : NaN,
    },
    peakMB: { dense: dense.peakBytes / 2 ** 20, sparse90: sparse90.peakBytes / 2 ** 20 },
    ratios: {
      denseTrainVsTorch: dense.trainSamplesPerSec / torchTrain,
      sparse90TrainVsDense: sparse90.trainSamplesPerSec / dense.trainSamplesPerSec,
      sparse90TrainVsTorchDense: sparse90.trainSamplesPerSec / torchTrain,
      sparse90InferVsDense: sparse90.inferSamplesPerSec / dense.inferSamplesPerSec,
      wasmDenseTrainVsTorch: wasmDense ? wasmDense.trainSamplesPerSec / torchTrain : NaN,
      denseTrainVsTfjs: dense.trainSamplesPerSec / tfjsDense,
      convSparse90TrainVsDense: at(convSmall, 0.9).trainSamplesPerSec / at(convSmall, 0).trainSamplesPerSec,
      convDenseTrainVsTfjs: at(convSmall, 0).trainSamplesPerSec / tfjsConv,
      convDenseTrainVsTorch: at(convSmall, 0).trainSamplesPerSec / torchConvTrain,
      convSparse90TrainVsTorchDense: at(convSmall, 0.9).trainSamplesPerSec / torchConvTrain,
    },
    engine, torch, kernels,
    conv: {
      net: convSmall.net, kernels: convSmall.rows[0].kernels,
      samplesPerSec: {
        denseTrain: at(convSmall, 0).trainSamplesPerSec, sparse90Train: at(convSmall, 0.9).trainSamplesPerSec,
        denseInfer: at(convSmall, 0).inferSamplesPerSec, sparse90Infer: at(convSmall, 0.9).inferSamplesPerSec,
        tfjsDenseTrain: tfjsConv, torchDenseTrain: torchConvTrain,
        width1DenseTrain: at(convFull, 0).trainSamplesPerSec, width1Sparse90Train: at(convFull, 0.9).trainSamplesPerSec,
      },
      engine: convSmall, width1: convFull, torch: torchConv,
    },
  };
  if (json) {
    process.stdout.write(JSON.stringify(result) + "\n");
    return;
  }
  const r = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : "n/a");
  process.stdout.write([
    `LeNet-300-100, batch ${BATCH}, SGD + momentum; medians. Fastest sparselab path: ${result.fastestPath}.`,
    formatEngineBench(engine),
    `tfjs-${backend.name} dense train: ${Math.round(tfjsDense)} samples/s`,
    torchLine(torch),
    formatEngineBench(convSmall),
    formatEngineBench(convFull),
    `tfjs-${backend.name} dense train, ${convSmall.net}: ${Math.round(tfjsConv)} samples/s`,
    torchLine(torchConv, convSmall.net),
    "ratios: " + Object.entries(result.ratios).map(([k, v]) => `${k} ${r(v)}`).join(", "),
    ...(kernels ? [formatKernelBench(kernels)] : []),
  ].join("\n") + "\n");
}

function torchLine(torch: Torch, net = ""): string {
  if (!("trainSamplesPerSec" in torch)) return `PyTorch: not available (${torch.unavailable})`;
  return `PyTorch ${torch.torch} dense${net ? `, ${net}` : ""} (torch threads ${torch.torchThreads}): ` +
    `train ${Math.round(torch.trainSamplesPerSec)} samples/s, inference ${Math.round(torch.inferSamplesPerSec)} samples/s`;
}

await main();
