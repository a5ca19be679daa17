import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { synthetic } from "@sparselab/datasets";
import { useBackend } from "../backend/index.js";
import { random } from "../criteria/random.js";
import { erk } from "../distributions/index.js";
import { MaskSet } from "../masks/index.js";
import { mlp } from "../nets/index.js";
import { trainMasked } from "../train/loop.js";
import { Rng } from "@sparselab/datasets";

/**
 * `npm run bench [-- --json]`: training and inference samples/s of LeNet-300-100 (batch 128),
 * dense and 90% ERK-sparse, on sparselab's active backend, and the same net in PyTorch in the same
 * run when /usr/bin/python3 can import torch. Medians of repeated runs; ratios are what to compare.
 */
const SIZES = [784, 300, 100, 10];
const BATCH = 128;
const STEPS = 40;
const WARMUP = 5;
const REPS = 3;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function trainRate(sparsity: number): Promise<number> {
  const data = synthetic({ train: BATCH * STEPS, test: BATCH, validation: 0, features: SIZES[0], seed: 1 });
  const rates: number[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    const net = mlp(SIZES, { seed: rep });
    const masks = sparsity === 0 ? MaskSet.dense(net.prunable)
      : random.prune({ net, rng: new Rng(rep), budget: budgetOf(erk(sparsity).allocate(net.prunable)) });
    let warm = 0;
    let last = 0;
    await trainMasked({
      net, masks, data, train: { epochs: 1, batchSize: BATCH, seed: rep, optimizer: { name: "sgd", lr: 0.01, momentum: 0.9 } },
      onEvent: (e) => {
        if (e.type !== "step") return;
        if (e.step === WARMUP) warm = performance.now();
        last = performance.now();
      },
    });
    rates.push(((STEPS - WARMUP) * BATCH) / ((last - warm) / 1000));
    net.dispose();
  }
  return median(rates);
}

function budgetOf(allocation: ReturnType<ReturnType<typeof erk>["allocate"]>) {
  return { kind: "layerwise" as const, kept: new Map(allocation.layers.map((l) => [l.name, l.kept])) };
}

function inferRate(): number {
  const net = mlp(SIZES, { seed: 0 });
  const x = tf.randomUniform([BATCH, SIZES[0]]) as tf.Tensor2D;
  const rates: number[] = [];
  for (let rep = 0; rep < REPS + 1; rep++) {
    const start = performance.now();
    for (let i = 0; i < STEPS; i++) tf.tidy(() => net.apply(x).dataSync());
    if (rep > 0) rates.push((STEPS * BATCH) / ((performance.now() - start) / 1000));
  }
  x.dispose();
  net.dispose();
  return median(rates);
}

function torchReference(): { torch: string; trainSamplesPerSec: number; inferSamplesPerSec: number } | { unavailable: string } {
  const script = fileURLToPath(new URL("../../bench/torch_mlp.py", import.meta.url));
  try {
    const out = execFileSync("/usr/bin/python3", [script, "--sizes", SIZES.join(","), "--batch", String(BATCH)], {
      env: { ...process.env, OPENBLAS_NUM_THREADS: "2" }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"],
    });
    return JSON.parse(out.trim().split("\n").pop()!);
  } catch (error) {
    return { unavailable: (error as Error).message.split("\n")[0] };
  }
}

async function main() {
  const json = process.argv.includes("--json");
  const backend = await useBackend();
  const dense = await trainRate(0);
  const sparse90 = await trainRate(0.9);
  const denseInfer = inferRate();
  const torch = torchReference();
  const torchTrain = "trainSamplesPerSec" in torch ? torch.trainSamplesPerSec : NaN;
  const result = {
    net: `mlp:${SIZES.join("-")}`, batch: BATCH, backend: backend.name, kernelPath: `tfjs-${backend.name}`,
    samplesPerSec: { denseTrain: dense, sparse90Train: sparse90, denseInfer, torchDenseTrain: torchTrain,
      torchDenseInfer: "inferSamplesPerSec" in torch ? torch.inferSamplesPerSec : NaN },
    torch,
    ratios: { denseTrainVsTorch: dense / torchTrain, sparse90TrainVsDense: sparse90 / dense, sparse90TrainVsTorchDense: sparse90 / torchTrain },
  };
  if (json) {
    process.stdout.write(JSON.stringify(result) + "\n");
    return;
  }
  const f = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "n/a");
  const r = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : "n/a");
  process.stdout.write([
    `LeNet-300-100, batch ${BATCH}, SGD+momentum; sparselab on tfjs-${backend.name}; medians of ${REPS}`,
    `  sparselab dense train      ${f(dense).padStart(8)} samples/s`,
    `  sparselab 90% ERK train    ${f(sparse90).padStart(8)} samples/s   (${r(sparse90 / dense)} dense)`,
    `  sparselab dense inference  ${f(denseInfer).padStart(8)} samples/s`,
    "trainSamplesPerSec" in torch
      ? `  PyTorch ${torch.torch} dense train ${f(torch.trainSamplesPerSec).padStart(8)} samples/s   (sparselab dense ${r(dense / torch.trainSamplesPerSec)}, 90% ${r(sparse90 / torch.trainSamplesPerSec)})`
      : `  PyTorch: not available (${torch.unavailable})`,
  ].join("\n") + "\n");
}

await main();
