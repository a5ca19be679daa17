import { argError } from "../errors.js";
import type { KernelName } from "../kernels/types.js";
import { convLayout } from "../nets/conv.js";
import type { ConvSpec } from "../nets/spec.js";
import { DenseStack } from "./dense-stack.js";
import { assembleEngine, setupEngine, SPARSE_BREAK_EVEN, type Engine, type EngineOptions, type Network } from "./engine.js";
import { FlippedKernel } from "./flipped-kernel.js";
import type { WeightLayer } from "./weight-layer.js";

export interface ConvEngineOptions extends EngineOptions {
  /** The architecture (nets/spec.ts; its seed is not used): parameters `conv{i}.kernel` [3, 3, cin, cout], `fc{i}.kernel` [in, out] and their biases. */
  readonly spec: ConvSpec;
  /**
   * Floats of the im2col buffer (default 2¹⁹, 2 MB): a conv layer runs on blocks of as many images
   * as fit (at least one).
   */
  readonly im2colFloats?: number;
}

/**
 * A ConvNet on the kernels, computing what nets/conv.ts computes on NHWC inputs: 3×3 "same"
 * convolutions (stride 1) with bias and ReLU, 2×2 max-pools (floor), flatten, ReLU dense layers.
 */
export interface ConvEngine extends Engine {
  readonly spec: ConvSpec;
}

/**
 * Default im2col buffer floats (2 MB): a block's patches stay in the L2 cache between the im2col
 * and the product that reads them. A batch-sized buffer (58 MB for conv2 at width 0.25, batch 128)
 * made each conv layer stream its patches through main memory: training ran 1.6× slower dense
 * (`npm run bench`, addon). Conv2 blocks are 4 images at width 0.25 and 1 at width 1.
 */
const IM2COL_FLOATS = 2 ** 19;
/**
 * Density below which a masked conv layer runs on spconv / spconvGrad instead of im2col + gemm:
 * `measureConvBreakEven` (forward, input and weight gradients, 28×28 images, 2-core AVX2 machine)
 * gave 0.5–0.8 with the addon for cin = cout = 64 / 16 (above 0.9 at cin = 8) and 0.65–0.9 with
 * WASM, above the dense layers' break-even. JS (the reference) keeps the general one.
 */
const CONV_BREAK_EVEN: Readonly<Record<KernelName, number>> = { addon: 0.6, wasm: 0.6, js: SPARSE_BREAK_EVEN.js };

/** Activation and gradient floats per predict / evaluate pass (conv2: ~70 images at width 0.25, ~17 at width 1), unless a training batch already took more. */
const EVAL_BUDGET = 2 ** 22;

/** One conv layer and the pool after it; its buffers are regions of the engine's arena (offsets in floats). */
interface Stage {
  readonly layer: WeightLayer;
  readonly h: number;
  readonly w: number;
  readonly cin: number;
  readonly cout: number;
  readonly pool: boolean;
  /** Floats per im2col row: 9·cin, or 9·max(cin, cout) when patches of dY make the input gradient. */
  readonly patch: number;
  /** Images per im2col block. */
  readonly block: number;
  /** The kernel turned around for the input gradient (none for the first conv: the net's input needs none). */
  readonly flipped: FlippedKernel | undefined;
  /** Post-ReLU output and dLoss/d(pre-activation), [b, h, w, cout]. */
  out: number;
  dOut: number;
  /** With a pool: its output, dLoss/d(its output), and the position in `out` of each maximum. */
  pooled: number;
  dPooled: number;
  argmax: Int32Array;
}

export function createConvEngine(options: ConvEngineOptions): ConvEngine {
  const call = "createConvEngine";
  const spec = checkSpec(call, options?.spec);
  const layout = convLayout(spec, call);
  const budget = options.im2colFloats ?? IM2COL_FLOATS;
  if (!Number.isInteger(budget) || budget < 1) throw argError(call, "im2colFloats", "a positive integer", options.im2colFloats);
  const setup = setupEngine(call, options, [
    ...layout.convs.map((c) => ({ name: c.name, shape: [3, 3, c.in, c.out], in: 9 * c.in, out: c.out, sparseBelow: CONV_BREAK_EVEN })),
    ...layout.dense.map((d) => ({ name: d.name, shape: [d.in, d.out], in: d.in, out: d.out })),
  ]);
  const k = setup.kernels;
  const stages: Stage[] = layout.convs.map((c, i) => {
    const patch = 9 * (i > 0 ? Math.max(c.in, c.out) : c.in);
    return {
      layer: setup.layers[i], h: c.height, w: c.width, cin: c.in, cout: c.out, pool: c.poolAfter, patch,
      block: Math.max(1, Math.floor(budget / (c.height * c.width * patch))),
      flipped: i > 0 ? new FlippedKernel(k, setup.layers[i], c.in, c.out) : undefined,
      out: 0, dOut: 0, pooled: 0, dPooled: 0, argmax: new Int32Array(0),
    };
  });
  const dense = new DenseStack(k, setup.layers.slice(stages.length));
  const features = spec.input[0] * spec.input[1] * spec.input[2];
  // Per image: a stage's input, output and pooled output (floats).
  const inSize = (s: Stage) => s.h * s.w * s.cin;
  const outSize = (s: Stage) => s.h * s.w * s.cout;
  const pooledSize = (s: Stage) => (s.h >> 1) * (s.w >> 1) * s.cout;
  /** Where a stage's output (as the next layer sees it) and its gradient lie; stage −1 is the input batch. */
  const outputAt = (i: number) => (i < 0 ? 0 : stages[i].pool ? stages[i].pooled : stages[i].out);
  const outputGradAt = (i: number) => (stages[i].pool ? stages[i].dPooled : stages[i].dOut);
  const last = stages.length - 1, lastSize = layout.flat;
  const perImage = features + stages.reduce((n, s) => n + 2 * outSize(s) + (s.pool ? 3 * pooledSize(s) : 0), 0) +
    layout.dense.reduce((n, d) => n + 2 * d.out, 0);

  // The input batch, every stage's buffers and the im2col buffer in one array: one kernel allocation
  // (WASM memory: no copies in and out of the kernels), regrown for larger batches.
  let arena: Float32Array = new Float32Array(0), colsAt = 0, capacity = 0;
  const view = (at: number, length: number) => arena.subarray(at, at + length);
  const reserve = (batch: number) => {
    if (batch <= capacity) return;
    let end = batch * features;
    const region = (floats: number) => (end += floats) - floats;
    for (const s of stages) {
      s.out = region(batch * outSize(s));
      s.dOut = region(batch * outSize(s));
      if (s.pool) {
        s.pooled = region(batch * pooledSize(s));
        s.dPooled = region(batch * pooledSize(s));
        k.free(s.argmax);
        s.argmax = k.allocInt32(batch * pooledSize(s));
      }
    }
    colsAt = region(Math.max(...stages.map((s) => Math.min(batch, s.block) * s.h * s.w * s.patch)));
    k.free(arena);
    arena = k.allocFloat32(end);
    dense.reserve(batch);
    capacity = batch;
  };

  /** Which stage's input block the im2col buffer holds, if any (backward reuses the forward pass's last one). */
  let held: { stage: Stage; first: number } | undefined;
  /** A stage's blocks of images for im2col: the first image and the count. */
  const blocks = (s: Stage, batch: number) =>
    Array.from({ length: Math.ceil(batch / s.block) }, (_, j) => ({ first: j * s.block, n: Math.min(s.block, batch - j * s.block) }));
  /** The images of a block in a batch-sized array of `perImage` floats each. */
  const images = (a: Float32Array, perImage: number, { first, n }: { first: number; n: number }) => a.subarray(first * perImage, (first + n) * perImage);
  const inputCols = (i: number, batch: number, b: { first: number; n: number }) => {
    const s = stages[i], cols = view(colsAt, b.n * s.h * s.w * 9 * s.cin);
    if (held?.stage !== s || held.first !== b.first) k.im2col(b.n, s.h, s.w, s.cin, images(view(outputAt(i - 1), batch * inSize(s)), inSize(s), b), cols);
    held = { stage: s, first: b.first };
    return cols;
  };

  const network: Network = {
    features,
    classes: layout.dense[layout.dense.length - 1].out,
    layers: setup.layers,
    // Buffers already sized for a training batch serve evaluation as well.
    get evalChunk() {
      return Math.max(capacity, Math.min(1024, Math.floor(EVAL_BUDGET / perImage)), 1);
    },

    forward(x, batch) {
      reserve(batch);
      arena.set(x);
      held = undefined;
      stages.forEach((s, i) => {
        const sparse = s.layer.sparse;
        if (sparse) k.spconv(batch, s.h, s.w, view(outputAt(i - 1), batch * inSize(s)), sparse, view(s.out, batch * outSize(s)), { bias: s.layer.b, relu: true });
        else {
          const out = view(s.out, batch * outSize(s));
          for (const b of blocks(s, batch)) s.layer.forward(b.n * s.h * s.w, inputCols(i, batch, b), images(out, outSize(s), b), true);
        }
        if (s.pool) k.maxPool(batch, s.h, s.w, s.cout, view(s.out, batch * outSize(s)), view(s.pooled, batch * pooledSize(s)), s.argmax);
      });
      return dense.forward(view(outputAt(last), batch * lastSize), batch);
    },

    backward(batch, denseGrads, visit) {
      dense.backward(view(outputAt(last), batch * lastSize), batch, denseGrads, visit, view(outputGradAt(last), batch * lastSize));
      for (let i = last; i >= 0; i--) {
        const s = stages[i];
        if (s.pool) k.maxUnpool(batch, s.h, s.w, s.cout, view(s.dPooled, batch * pooledSize(s)), s.argmax, view(s.dOut, batch * outSize(s)));
        const x = view(outputAt(i - 1), batch * inSize(s)), dOut = view(s.dOut, batch * outSize(s));
        // Weight gradients: a sparse layer's sampled one from whole images, dense ones from patches
        // (last block first: the im2col buffer may still hold the forward pass's last block).
        if (s.layer.sparse && !denseGrads) s.layer.convGrads(batch, s.h, s.w, x, dOut);
        else {
          const reversed = blocks(s, batch).reverse();
          for (const b of reversed) {
            s.layer.weightGrads(b.n * s.h * s.w, inputCols(i, batch, b), images(dOut, outSize(s), b), denseGrads, b !== reversed[0]);
          }
        }
        // dLoss/d(input), zeroed where the input (a ReLU's output) is 0; none for the first conv (its input is the data)
        const flipped = s.flipped;
        if (flipped) {
          const dx = view(outputGradAt(i - 1), batch * inSize(s)), flippedSparse = flipped.refresh();
          if (flippedSparse) k.spconv(batch, s.h, s.w, dOut, flippedSparse, dx, { gate: x });
          else {
            held = undefined;
            for (const b of blocks(s, batch)) {
              const rows = b.n * s.h * s.w, cols = view(colsAt, rows * 9 * s.cout);
              k.im2col(b.n, s.h, s.w, s.cout, images(dOut, outSize(s), b), cols);
              flipped.inputGrad(rows, cols, images(dx, inSize(s), b), images(x, inSize(s), b));
            }
          }
        }
        visit(s.layer);
      }
    },

    dispose() {
      dense.dispose();
      stages.forEach((s) => {
        s.flipped?.dispose();
        k.free(s.argmax);
      });
      k.free(arena);
    },
  };
  return assembleEngine("ConvEngine", setup, network, { spec });
}

function checkSpec(call: string, spec: ConvSpec | undefined): ConvSpec {
  const positive = (v: unknown) => Number.isInteger(v) && (v as number) >= 1;
  if (spec === null || typeof spec !== "object" || spec.kind !== "conv") {
    throw argError(call, "spec", 'a conv spec { kind: "conv", input, convs, dense }', spec);
  }
  if (!Array.isArray(spec.input) || spec.input.length !== 3 || !spec.input.every(positive)) {
    throw argError(call, "spec.input", "[height, width, channels] of positive integers", spec.input);
  }
  if (!Array.isArray(spec.convs) || !positive(spec.convs[0]) || !spec.convs.every((c) => c === "pool" || positive(c))) {
    throw argError(call, "spec.convs", 'conv widths (positive integers) and "pool"s, starting with a conv', spec.convs);
  }
  if (!Array.isArray(spec.dense) || spec.dense.length === 0 || !spec.dense.every(positive)) {
    throw argError(call, "spec.dense", "dense widths (positive integers), the last one the class count", spec.dense);
  }
  return spec;
}
