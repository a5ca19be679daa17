import { loadavg } from "node:os";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { erk } from "../distributions/index.js";
import { createImplementations, inTurns, measureBreakEven, type KernelChoice } from "../kernels/bench.js";
import { randomMask, seededRandom } from "../kernels/testing.js";
import type { KernelName, Kernels } from "../kernels/types.js";
import { convLayout } from "../nets/conv.js";
import { netSpecToString, type ConvSpec } from "../nets/spec.js";
import type { OptimizerSpec } from "../train/optimizers.js";
import { createConvEngine } from "./conv-engine.js";
import type { Engine, EngineOptions } from "./engine.js";
import { createMlpEngine } from "./mlp-engine.js";

export interface EngineBenchOptions {
  /** The MLP's widths (default [784, 300, 100, 10], LeNet-300-100). */
  readonly sizes?: readonly number[];
  /** A ConvNet to measure instead of the MLP, e.g. `conv2({ width: 0.25 }).spec`. */
  readonly conv?: ConvSpec;
  readonly batch?: number;
  /** ERK sparsities to train at; 0 is dense. Default [0, 0.9]. */
  readonly sparsities?: readonly number[];
  /** Implementations (default: addon, wasm, wasm on 2 threads — those that load here; JS only when asked). */
  readonly implementations?: readonly KernelChoice[];
  /** Timed steps per sample, and samples (the median is reported). Default 30 × 5. */
  readonly steps?: number;
  readonly samples?: number;
  /** Untimed steps first (default 5). */
  readonly warmup?: number;
  /** Default SGD, lr 0.01, momentum 0.9 (the benchmark harness's recipe). */
  readonly optimizer?: OptimizerSpec;
  /** Also measure each implementation's sparse/dense break-even density (slower). */
  readonly breakEven?: boolean;
}

export interface EngineBenchRow {
  readonly kernels: KernelName;
  readonly threads: number;
  readonly sparsity: number;
  /** Per kernel tensor: density and whether it ran sparse. */
  readonly layers: readonly { readonly name: string; readonly density: number; readonly mode: "dense" | "sparse" }[];
  /** Training samples/s (forward, backward, optimizer step), median. */
  readonly trainSamplesPerSec: number;
  readonly msPerStep: number;
  /** Inference samples/s (forward only), median. */
  readonly inferSamplesPerSec: number;
  /** The same from the fastest sample: closer to an idle machine's figure when others load the CPU. */
  readonly bestTrainSamplesPerSec: number;
  readonly bestInferSamplesPerSec: number;
  /** Loss of the first step and of one after all the timed ones (a sanity check that it trains). */
  readonly loss: readonly [number, number];
  /**
   * Peak bytes the engine held while training and predicting: typed arrays (ArrayBuffers) plus
   * the kernels' own memory, above what was allocated before it was created.
   */
  readonly peakBytes: number;
}

export interface EngineBenchResult {
  /** The net measured, e.g. "mlp:784-300-100-10". */
  readonly net: string;
  readonly batch: number;
  readonly rows: readonly EngineBenchRow[];
  /** Density below which forward + dX + dW of a 128×784×300 layer is faster sparse, per implementation. */
  readonly breakEven: Readonly<Record<string, number>>;
  readonly load: { readonly before: number; readonly after: number };
}

/** What the benchmark needs of a net: its input width, classes, weight layers, and how to build its engine. */
interface BenchNet {
  readonly name: string;
  readonly features: number;
  readonly classes: number;
  /** Weight layers: `${name}.kernel` of `shape` (fan-in `fanIn`) and `${name}.bias` of `out`. */
  readonly layers: readonly { readonly name: string; readonly shape: readonly number[]; readonly fanIn: number; readonly out: number }[];
  create(options: EngineOptions & { kernels: Kernels }): Engine;
}

function benchNet(options: EngineBenchOptions): BenchNet {
  const conv = options.conv;
  if (conv) {
    const layout = convLayout(conv, "benchEngine");
    return {
      name: netSpecToString(conv), features: conv.input[0] * conv.input[1] * conv.input[2], classes: conv.dense[conv.dense.length - 1],
      layers: [
        ...layout.convs.map((c) => ({ name: c.name, shape: [3, 3, c.in, c.out], fanIn: 9 * c.in, out: c.out })),
        ...layout.dense.map((d) => ({ name: d.name, shape: [d.in, d.out], fanIn: d.in, out: d.out })),
      ],
      create: (o) => createConvEngine({ ...o, spec: conv }),
    };
  }
  const sizes = options.sizes ?? [784, 300, 100, 10];
  return {
    name: `mlp:${sizes.join("-")}`, features: sizes[0], classes: sizes[sizes.length - 1],
    layers: sizes.slice(1).map((out, l) => ({ name: `fc${l + 1}`, shape: [sizes[l], out], fanIn: sizes[l], out })),
    create: (o) => createMlpEngine({ ...o, sizes }),
  };
}

/**
 * Training and inference samples/s of an MLP (or a ConvNet) on the typed-array engine, dense and
 * ERK-sparse (random masks), per kernel implementation. Synthetic data (uniform x, random labels);
 * the data are plain heap arrays, so the WASM engine's copy of each batch into its memory is included.
 */
export async function benchEngine(options: EngineBenchOptions = {}): Promise<EngineBenchResult> {
  const before = loadavg()[0];
  const net = benchNet(options);
  const batch = options.batch ?? 128, steps = options.steps ?? 30, samples = options.samples ?? 5;
  const optimizer = options.optimizer ?? { name: "sgd", lr: 0.01, momentum: 0.9 };
  const batches = 8;
  const random = seededRandom(1);
  const xs = Float32Array.from({ length: batches * batch * net.features }, () => random());
  const ys = Int32Array.from({ length: batches * batch }, () => Math.floor(random() * net.classes));
  const weights = new Map<string, Float32Array>();
  for (const l of net.layers) {
    const scale = Math.sqrt(6 / l.fanIn), size = l.shape.reduce((a, b) => a * b, 1);
    weights.set(`${l.name}.kernel`, Float32Array.from({ length: size }, () => (random() * 2 - 1) * scale));
    weights.set(`${l.name}.bias`, new Float32Array(l.out));
  }
  const specs = net.layers.map((l) => ({ name: `${l.name}.kernel`, shape: l.shape }));
  const x = (i: number) => xs.subarray((i % batches) * batch * net.features, ((i % batches) + 1) * batch * net.features);
  const y = (i: number) => ys.subarray((i % batches) * batch, ((i % batches) + 1) * batch);

  const rows: EngineBenchRow[] = [];
  const breakEven: Record<string, number> = {};
  const warmup = options.warmup ?? 5;
  for (const kernels of createImplementations(options.implementations ?? ["addon", "wasm", { name: "wasm", threads: 2 }])) {
    const name = kernels.name;
    try {
      if (options.breakEven) breakEven[`${name}×${kernels.threads}`] = measureBreakEven(kernels).density;
      const configs = (options.sparsities ?? [0, 0.9]).map((sparsity) => {
        const masks = new Map<string, Uint8Array | undefined>();
        if (sparsity > 0) {
          for (const layer of erk(sparsity).allocate(specs).layers) {
            masks.set(layer.name, layer.density < 1 ? randomMask(layer.total, layer.density, random) : undefined);
          }
        }
        return { sparsity, create: () => net.create({ weights, masks, kernels, optimizer }) };
      });
      // Memory first, one engine at a time; then speed, all engines timed in turns (one sample of
      // each per round), so that a slow spell of a shared machine falls on every configuration alike.
      const held = () => process.memoryUsage().arrayBuffers + kernels.bytesInUse();
      const peaks: number[] = [];
      for (const c of configs) {
        await collectGarbage(); // the previous engine's arrays must not be released during this one's measurement
        const baseline = held();
        peaks.push(peakHeld(c.create, x, y, warmup, held) - baseline);
      }
      const engines = configs.map((c) => c.create());
      try {
        const losses = engines.map((e) => {
          const first = e.step(x(0), y(0));
          for (let i = 1; i < warmup; i++) e.step(x(i), y(i));
          return first;
        });
        const perStep = (run: (i: number) => void) => () => {
          const t0 = performance.now();
          for (let i = 0; i < steps; i++) run(i);
          return (performance.now() - t0) / steps;
        };
        const train = inTurns(engines.map((e) => perStep((i) => e.step(x(i), y(i)))), samples);
        const infer = inTurns(engines.map((e) => perStep((i) => e.predict(x(i)))), samples);
        engines.forEach((e, c) => {
          rows.push({
            kernels: name, threads: kernels.threads, sparsity: configs[c].sparsity,
            layers: e.layers().map((l) => ({ name: l.name, density: l.density, mode: l.mode })),
            trainSamplesPerSec: (batch * 1000) / train[c].median, msPerStep: train[c].median,
            inferSamplesPerSec: (batch * 1000) / infer[c].median,
            bestTrainSamplesPerSec: (batch * 1000) / train[c].min, bestInferSamplesPerSec: (batch * 1000) / infer[c].min,
            loss: [losses[c], e.step(x(0), y(0))], peakBytes: peaks[c],
          });
        });
      } finally {
        engines.forEach((e) => e.dispose());
      }
    } finally {
      kernels.dispose();
    }
  }
  return { net: net.name, batch, rows, breakEven, load: { before, after: loadavg()[0] } };
}

/**
 * The most `held()` reported while a new engine trains `warmup` steps and predicts once; then it is
 * disposed of. A function of its own, so that no frame still references the engine when the next
 * configuration takes its memory baseline.
 */
function peakHeld(create: () => Engine, x: (i: number) => Float32Array, y: (i: number) => Int32Array, warmup: number, held: () => number): number {
  const engine = create();
  try {
    for (let i = 0; i < Math.max(1, warmup); i++) engine.step(x(i), y(i));
    const trained = held();
    engine.predict(x(0));
    return Math.max(trained, held());
  } finally {
    engine.dispose();
  }
}

/**
 * Full garbage collections (without needing node --expose-gc), with returns to the event loop in
 * between, until the ArrayBuffer total stops falling: dead ArrayBuffers are released in the
 * background after a collection, and a baseline taken before that counted the previous
 * configuration's arrays in this one's.
 */
async function collectGarbage(): Promise<void> {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  let held = Infinity;
  for (let round = 0; round < 10 && process.memoryUsage().arrayBuffers < held; round++) {
    held = process.memoryUsage().arrayBuffers;
    gc();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function formatEngineBench(result: EngineBenchResult): string {
  const lines = [`${result.net}, batch ${result.batch}; load average (1 min): ${result.load.before.toFixed(2)} before, ${result.load.after.toFixed(2)} after`,
    "kernels  thr  sparsity   train/s   ms/step   infer/s  best train/s  best infer/s  peak MB   layers"];
  for (const r of result.rows) {
    lines.push([
      r.kernels.padEnd(7), String(r.threads).padStart(3), (r.sparsity ? `${Math.round(r.sparsity * 100)}%` : "dense").padStart(8),
      r.trainSamplesPerSec.toFixed(0).padStart(9), r.msPerStep.toFixed(2).padStart(8), r.inferSamplesPerSec.toFixed(0).padStart(9),
      r.bestTrainSamplesPerSec.toFixed(0).padStart(12), r.bestInferSamplesPerSec.toFixed(0).padStart(12), (r.peakBytes / 2 ** 20).toFixed(1).padStart(7),
      r.layers.map((l) => `${l.name.replace(".kernel", "")}:${l.density.toFixed(2)}${l.mode === "sparse" ? "s" : "d"}`).join(" "),
    ].join("  "));
  }
  for (const [name, d] of Object.entries(result.breakEven)) lines.push(`break-even density (${name}): ${d.toFixed(2)}`);
  return lines.join("\n");
}
