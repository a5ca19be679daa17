import { argError, SparselabError } from "../errors.js";
import { defaultKernels } from "../kernels/load.js";
import { SparseMatrix } from "../kernels/sparse-matrix.js";
import type { KernelName, Kernels, UpdateRule } from "../kernels/types.js";
import type { OptimizerSpec } from "../train/optimizers.js";
import { TypedOptimizer } from "./optimizer.js";

/**
 * Density below which a masked layer runs on the sparse kernels (forward, dX and dW together
 * faster than dense gemm), per implementation: `measureBreakEven` on 128×784×300 and 128×300×100
 * on a 2-core AVX2 machine gave 0.35–0.6 for the addon, 0.4–0.65 for WASM and 0.7–0.8 for JS
 * (several runs on a machine loaded by other work, hence the spread). Near the break-even both
 * routes cost about the same, so the exact value matters little.
 */
export const SPARSE_BREAK_EVEN: Readonly<Record<KernelName, number>> = Object.freeze({ addon: 0.45, wasm: 0.55, js: 0.75 });

export interface MlpEngineOptions {
  /** Layer widths, e.g. [784, 300, 100, 10]: ReLU hidden layers, softmax cross-entropy on the logits. */
  readonly sizes: readonly number[];
  /** `fc{i}.kernel` [in, out] (row-major, y = x·W) and `fc{i}.bias` [out], i = 1…; copied in. */
  readonly weights: ReadonlyMap<string, Float32Array>;
  /** 0/1 masks of kernels by name (undefined or absent: dense). Pruned weights are zeroed. */
  readonly masks?: ReadonlyMap<string, Uint8Array | undefined>;
  readonly optimizer: OptimizerSpec;
  /** Default: `defaultKernels()` (the fastest implementation that loads). */
  readonly kernels?: Kernels;
  /** Masked layers with density below this use the sparse kernels (default SPARSE_BREAK_EVEN[kernels.name]). */
  readonly sparseBelow?: number;
}

/** predict / evaluate run in batches of at most this many rows (bounded activation memory). */
const EVAL_CHUNK = 1024;

export interface LayerMode {
  readonly name: string;
  readonly shape: readonly [number, number];
  readonly density: number;
  readonly mode: "dense" | "sparse";
}

/** A typed-array MLP trainer: forward, backward and optimizer step on the kernels, no tfjs. */
export interface MlpEngine {
  readonly sizes: readonly number[];
  readonly kernels: Kernels;
  readonly optimizer: OptimizerSpec;
  /** One optimizer step on the batch (x [b, in], y [b] class indices); returns the mean loss before it. */
  step(x: Float32Array, y: Int32Array, lr?: number): number;
  /** Loss and the dense gradient of every parameter (copies; pruned positions included, as RigL needs). */
  gradients(x: Float32Array, y: Int32Array): { loss: number; grads: Map<string, Float32Array> };
  /** Logits [b, classes] for x [b, in] (a fresh array). */
  predict(x: Float32Array, batch?: number): Float32Array;
  /** Mean loss and number of correct argmax predictions. */
  evaluate(x: Float32Array, y: Int32Array): { loss: number; correct: number };
  /**
   * Changes a kernel's mask (undefined: dense). Weights and optimizer slots at pruned positions
   * become 0; the sparse format is updated incrementally (only the changed positions when the
   * layer stays sparse). Grown weights keep the value in `weights()` (normally 0).
   */
  setMask(name: string, bits: Uint8Array | undefined): void;
  /**
   * Call after writing into the arrays of a `weights()` taken since the last step: the written
   * dense arrays become the truth (pruned positions are re-zeroed).
   */
  syncWeights(name?: string): void;
  /**
   * The parameters by name: the engine's own arrays (views, not copies), current as of this call.
   * Dense layers stay live; a sparse-routed kernel trains on its compact copy and its view is
   * refreshed by the next `weights()`.
   */
  weights(): Map<string, Float32Array>;
  /** Copies the given parameters in (any subset, same shapes); pruned positions are re-zeroed. */
  setWeights(weights: ReadonlyMap<string, Float32Array>): void;
  /** Zeroes every optimizer slot and the step count (a fresh optimizer on the same weights). */
  resetOptimizer(): void;
  /** A parameter's optimizer slots (views, current as of this call): [] for SGD, [velocity] with momentum, [m, v] for Adam. */
  slots(name: string): readonly Float32Array[];
  /** Steps taken. */
  readonly steps: number;
  layers(): LayerMode[];
  dispose(): void;
}

interface Layer {
  readonly name: string;
  readonly kernelName: string;
  readonly biasName: string;
  readonly in: number;
  readonly out: number;
  readonly w: Float32Array;
  readonly b: Float32Array;
  readonly wSlots: Float32Array[];
  readonly bSlots: Float32Array[];
  mask: Uint8Array | undefined;
  /** Indices of the kept weights (ascending) when masked. */
  kept: Int32Array | undefined;
  /**
   * When sparse-routed, `sparse.values` is the master copy of the kept weights and `cSlots` of
   * their slots (CSR order, compact): `w` and `wSlots` are refreshed from them on demand
   * (`stale`), so a step never touches the dense arrays.
   */
  sparse: SparseMatrix | undefined;
  cSlots: Float32Array[];
  stale: boolean;
  /** Sparse gradient (CSR order), when sparse. */
  gSparse: Float32Array | undefined;
  /** Dense gradient buffer (allocated when first needed). */
  gDense: Float32Array | undefined;
  readonly gBias: Float32Array;
}

export function createMlpEngine(options: MlpEngineOptions): MlpEngine {
  const call = "createMlpEngine";
  const sizes = checkSizes(call, options.sizes);
  const kernels = options.kernels ?? defaultKernels();
  const optimizer = new TypedOptimizer(options.optimizer, call);
  const threshold = options.sparseBelow ?? SPARSE_BREAK_EVEN[kernels.name];
  if (typeof threshold !== "number" || !(threshold >= 0 && threshold <= 1)) throw argError(call, "sparseBelow", "a density in [0, 1]", threshold);
  for (const name of options.masks?.keys() ?? []) {
    if (!/^fc\d+\.kernel$/.test(name) || Number(name.slice(2, -7)) > sizes.length - 1 || Number(name.slice(2, -7)) < 1) {
      throw argError(call, "masks", `masks of fc1.kernel … fc${sizes.length - 1}.kernel`, name);
    }
  }

  const k = kernels;
  const layers: Layer[] = sizes.slice(1).map((out, l) => {
    const inp = sizes[l], name = `fc${l + 1}`;
    const kernelName = `${name}.kernel`, biasName = `${name}.bias`;
    const w = k.allocFloat32(inp * out), b = k.allocFloat32(out);
    w.set(checkParam(call, options.weights, kernelName, inp * out));
    b.set(checkParam(call, options.weights, biasName, out));
    const slotsOf = (n: number) => Array.from({ length: optimizer.slotCount }, () => k.allocFloat32(n));
    return {
      name, kernelName, biasName, in: inp, out, w, b, wSlots: slotsOf(inp * out), bSlots: slotsOf(out),
      mask: undefined, kept: undefined, sparse: undefined, cSlots: [], stale: false, gSparse: undefined, gDense: undefined,
      gBias: k.allocFloat32(out),
    };
  });
  const byKernel = new Map(layers.map((l) => [l.kernelName, l]));
  for (const l of layers) configureMask(l, options.masks?.get(l.kernelName));

  // Activations: acts[0] = x (or a copy in kernel memory), acts[l+1] = layer l's output;
  // grads[l+1] = dLoss/d(pre-activation of layer l). Sized for the largest batch seen.
  let capacity = 0;
  const acts: Float32Array[] = [];
  const deltas: Float32Array[] = [];
  let ones: Float32Array = new Float32Array(0); // bias gradients are 1ᵀ·dZ (a gemm with m = 1)
  const ensureBatch = (batch: number) => {
    if (batch <= capacity) return;
    for (const a of [...acts, ...deltas, ones]) if (a) k.free(a);
    ones = k.allocFloat32(batch).fill(1);
    acts.length = 0;
    deltas.length = 0;
    sizes.forEach((n, l) => {
      acts.push(k.allocFloat32(batch * n));
      deltas.push(l === 0 ? new Float32Array(0) : k.allocFloat32(batch * n));
    });
    capacity = batch;
  };
  let disposed = false;

  /** Brings `w` and `wSlots` of a sparse-routed layer up to date with its compact copies. */
  function materialize(l: Layer): void {
    if (!l.sparse || !l.stale) return;
    l.sparse.scatter(l.sparse.values, l.w);
    l.cSlots.forEach((c, s) => l.sparse!.scatter(c, l.wSlots[s]));
    l.stale = false;
  }

  function configureMask(l: Layer, bits: Uint8Array | undefined): void {
    const total = l.in * l.out;
    if (bits !== undefined && (!(bits instanceof Uint8Array) || bits.length !== total)) {
      throw argError("MlpEngine.setMask", l.kernelName, `a Uint8Array of ${total} 0/1 values (or undefined)`, bits);
    }
    materialize(l);
    const previous = l.kept;
    let kept: Int32Array | undefined;
    if (bits) {
      let n = 0;
      for (let i = 0; i < total; i++) if (bits[i]) n++;
      kept = k.allocInt32(n);
      for (let i = 0, q = 0; i < total; i++) if (bits[i]) kept[q++] = i;
      // pruned weights and slots become exactly 0 (grown ones keep their slots at 0: they were pruned)
      for (let i = 0; i < total; i++) {
        if (bits[i]) continue;
        l.w[i] = 0;
        for (const s of l.wSlots) s[i] = 0;
      }
    }
    l.mask = bits ? Uint8Array.from(bits) : undefined;
    l.kept = kept;
    const sparse = kept !== undefined && kept.length < threshold * total;
    if (!sparse) {
      l.sparse?.dispose();
      for (const a of [l.gSparse, ...l.cSlots]) if (a) k.free(a);
      l.sparse = undefined;
      l.gSparse = undefined;
      l.cSlots = [];
    } else {
      if (l.sparse && previous) l.sparse.update(diffSorted(previous, kept!), l.w);
      else l.sparse = SparseMatrix.fromMask(l.in, l.out, bits!, l.w, k);
      const cap = l.sparse.values.length;
      if (!l.gSparse || l.gSparse.length < cap) {
        if (l.gSparse) k.free(l.gSparse);
        l.gSparse = k.allocFloat32(cap);
      }
      if (l.cSlots.length === 0 || l.cSlots[0].length !== cap) {
        l.cSlots.forEach((c) => k.free(c));
        l.cSlots = l.wSlots.map(() => k.allocFloat32(cap));
      }
      l.cSlots.forEach((c, s) => {
        const dense = l.wSlots[s];
        for (let j = 0; j < kept!.length; j++) c[j] = dense[kept![j]];
      });
    }
    l.stale = false;
    if (previous) k.free(previous);
  }

  function checkInput(call: string, x: Float32Array, batch: number): void {
    if (disposed) throw new SparselabError(`MlpEngine.${call}: the engine was disposed`);
    if (!(x instanceof Float32Array) || x.length !== batch * sizes[0]) {
      throw argError(`MlpEngine.${call}`, "x", `a Float32Array of ${batch}×${sizes[0]} values`, x);
    }
  }

  /** x as the kernels' input: itself, or (WASM, foreign array) a copy in their memory. */
  function input(call: string, x: Float32Array, batch: number): Float32Array {
    checkInput(call, x, batch);
    ensureBatch(batch);
    if (k.owns(x)) return x;
    acts[0].set(x);
    return acts[0];
  }

  function labels(call: string, y: Int32Array): number {
    if (!(y instanceof Int32Array) || y.length === 0) throw argError(`MlpEngine.${call}`, "y", "a non-empty Int32Array of class indices", y);
    const classes = sizes[sizes.length - 1];
    for (let i = 0; i < y.length; i++) {
      if (!(y[i] >= 0 && y[i] < classes)) throw argError(`MlpEngine.${call}`, `y[${i}]`, `a class index in [0, ${classes})`, y[i]);
    }
    return y.length;
  }

  /** Forward pass; returns the logits buffer (a view of the batch's rows). */
  function forward(x: Float32Array, batch: number): Float32Array {
    let h = x;
    layers.forEach((l, i) => {
      const out = acts[i + 1];
      const relu = i < layers.length - 1;
      if (l.sparse) k.spmm(batch, h, l.sparse, out, { bias: l.b, relu });
      else k.gemm(batch, l.out, l.in, h, l.w, out, { bias: l.b, relu });
      h = out;
    });
    return h;
  }

  /** Mean softmax cross-entropy; with `delta`, also dLoss/dlogits = (softmax − onehot)/batch. */
  function softmaxCrossEntropy(z: Float32Array, y: Int32Array, batch: number, delta?: Float32Array): { loss: number; correct: number } {
    const c = sizes[sizes.length - 1];
    let loss = 0, correct = 0;
    for (let i = 0; i < batch; i++) {
      const o = i * c;
      let max = -Infinity, arg = 0;
      for (let j = 0; j < c; j++) if (z[o + j] > max) { max = z[o + j]; arg = j; }
      let sum = 0;
      for (let j = 0; j < c; j++) sum += Math.exp(z[o + j] - max);
      const lse = max + Math.log(sum);
      loss += lse - z[o + y[i]];
      if (arg === y[i]) correct++;
      if (delta) {
        for (let j = 0; j < c; j++) delta[o + j] = (Math.exp(z[o + j] - lse) - (j === y[i] ? 1 : 0)) / batch;
      }
    }
    return { loss: loss / batch, correct };
  }

  /**
   * Backward pass from deltas[L]. For each layer (last first) calls `visit` once its bias and
   * weight gradients are ready and before its weights could change (dX of the layer is done).
   */
  function backward(x: Float32Array, batch: number, denseGrads: boolean, visit: (l: Layer) => void): void {
    for (let i = layers.length - 1; i >= 0; i--) {
      const l = layers[i];
      const g = deltas[i + 1], h = i === 0 ? x : acts[i];
      k.gemm(1, l.out, batch, ones, g, l.gBias); // bias gradient: column sums of dZ
      if (l.sparse && !denseGrads) k.sddmm(batch, h, g, l.sparse, l.gSparse!);
      else {
        l.gDense ??= k.allocFloat32(l.in * l.out);
        k.gemm(l.in, l.out, batch, h, g, l.gDense, { transA: true });
      }
      if (i > 0) {
        const dh = deltas[i];
        if (l.sparse) k.spmm(batch, g, l.sparse, dh, { transpose: true, gate: h });
        else k.gemm(batch, l.in, l.out, g, l.w, dh, { transB: true, gate: h });
      }
      visit(l);
    }
  }

  function update(l: Layer, rule: UpdateRule): void {
    k.update(rule, l.b, l.gBias, l.bSlots);
    if (l.sparse) {
      k.update(rule, l.sparse.values, l.gSparse!, l.cSlots, { count: l.sparse.nnz });
      l.sparse.syncCsc();
      l.stale = true;
    } else if (l.kept) k.update(rule, l.w, l.gDense!, l.wSlots, { index: l.kept });
    else k.update(rule, l.w, l.gDense!, l.wSlots);
  }

  const engine: MlpEngine = {
    sizes,
    kernels,
    optimizer: optimizer.spec,
    get steps() {
      return optimizer.steps;
    },

    step(x, y, lr = optimizer.spec.lr) {
      const batch = labels("step", y);
      if (typeof lr !== "number" || !(lr >= 0) || !Number.isFinite(lr)) throw argError("MlpEngine.step", "lr", "a finite number ≥ 0", lr);
      const h0 = input("step", x, batch);
      const z = forward(h0, batch);
      const { loss } = softmaxCrossEntropy(z, y, batch, deltas[deltas.length - 1]);
      const rule = optimizer.begin(lr);
      backward(h0, batch, false, (l) => update(l, rule));
      return loss;
    },

    gradients(x, y) {
      const batch = labels("gradients", y);
      const h0 = input("gradients", x, batch);
      const z = forward(h0, batch);
      const { loss } = softmaxCrossEntropy(z, y, batch, deltas[deltas.length - 1]);
      backward(h0, batch, true, () => {});
      const grads = new Map<string, Float32Array>();
      for (const l of layers) {
        grads.set(l.kernelName, Float32Array.from(l.gDense!));
        grads.set(l.biasName, Float32Array.from(l.gBias));
      }
      return { loss, grads };
    },

    predict(x, batch = x?.length / sizes[0]) {
      if (!Number.isInteger(batch) || batch < 1) throw argError("MlpEngine.predict", "x", `a Float32Array of b×${sizes[0]} values`, x);
      checkInput("predict", x, batch);
      const classes = sizes[sizes.length - 1], out = new Float32Array(batch * classes);
      for (let r = 0; r < batch; r += EVAL_CHUNK) {
        const n = Math.min(EVAL_CHUNK, batch - r);
        out.set(forward(input("predict", x.subarray(r * sizes[0], (r + n) * sizes[0]), n), n).subarray(0, n * classes), r * classes);
      }
      return out;
    },

    evaluate(x, y) {
      const batch = labels("evaluate", y);
      checkInput("evaluate", x, batch);
      let loss = 0, correct = 0;
      for (let r = 0; r < batch; r += EVAL_CHUNK) {
        const n = Math.min(EVAL_CHUNK, batch - r);
        const z = forward(input("evaluate", x.subarray(r * sizes[0], (r + n) * sizes[0]), n), n);
        const part = softmaxCrossEntropy(z, y.subarray(r, r + n), n);
        loss += part.loss * n;
        correct += part.correct;
      }
      return { loss: loss / batch, correct };
    },

    setMask(name, bits) {
      const l = byKernel.get(name);
      if (!l) throw argError("MlpEngine.setMask", "name", `one of ${[...byKernel.keys()].join(", ")}`, name);
      configureMask(l, bits);
    },

    syncWeights(name) {
      for (const l of layers) {
        if (name !== undefined && name !== l.kernelName) continue;
        if (l.mask) for (let i = 0; i < l.w.length; i++) if (!l.mask[i]) l.w[i] = 0;
        l.sparse?.loadValues(l.w);
        l.stale = false;
      }
    },

    setWeights(weights) {
      for (const [name, values] of weights) {
        const l = layers.find((x) => x.kernelName === name || x.biasName === name);
        const target = l && (name === l.kernelName ? l.w : l.b);
        if (!l || !target) throw argError("MlpEngine.setWeights", "weights", `parameters among ${[...byKernel.keys()].join(", ")} and their biases`, name);
        if (!(values instanceof Float32Array) || values.length !== target.length) {
          throw argError("MlpEngine.setWeights", name, `a Float32Array of ${target.length} values`, values);
        }
        materialize(l);
        target.set(values);
        if (target === l.w) engine.syncWeights(name);
      }
    },

    resetOptimizer() {
      optimizer.reset();
      for (const l of layers) for (const a of [...l.wSlots, ...l.bSlots, ...l.cSlots]) a.fill(0);
    },

    weights() {
      layers.forEach(materialize);
      return new Map(layers.flatMap((l) => [[l.kernelName, l.w], [l.biasName, l.b]] as [string, Float32Array][]));
    },

    slots(name) {
      layers.forEach(materialize);
      for (const l of layers) {
        if (name === l.kernelName) return l.wSlots;
        if (name === l.biasName) return l.bSlots;
      }
      throw argError("MlpEngine.slots", "name", "a parameter name", name);
    },

    layers() {
      return layers.map((l) => ({
        name: l.kernelName,
        shape: [l.in, l.out] as const,
        density: l.kept ? l.kept.length / (l.in * l.out) : 1,
        mode: l.sparse ? ("sparse" as const) : ("dense" as const),
      }));
    },

    dispose() {
      if (disposed) return;
      disposed = true;
      for (const l of layers) {
        l.sparse?.dispose();
        for (const a of [l.w, l.b, l.gSparse, l.gDense, l.gBias, l.kept, ...l.wSlots, ...l.bSlots, ...l.cSlots]) if (a) k.free(a);
      }
      for (const a of [...acts, ...deltas, ones]) k.free(a);
    },
  };
  return engine;
}

function checkSizes(call: string, sizes: unknown): number[] {
  if (!Array.isArray(sizes) || sizes.length < 2 || !sizes.every((s) => Number.isInteger(s) && s >= 1)) {
    throw argError(call, "sizes", "an array of at least 2 positive integer layer widths", sizes);
  }
  return [...sizes];
}

function checkParam(call: string, weights: ReadonlyMap<string, Float32Array>, name: string, length: number): Float32Array {
  const v = weights?.get(name);
  if (!(v instanceof Float32Array) || v.length !== length) throw argError(call, `weights.get("${name}")`, `a Float32Array of ${length} values`, v);
  return v;
}

/** Elements of sorted `before` missing from sorted `after`, and the reverse. */
function diffSorted(before: Int32Array, after: Int32Array): { dropped: Int32Array; grown: Int32Array } {
  const dropped: number[] = [], grown: number[] = [];
  let i = 0, j = 0;
  while (i < before.length || j < after.length) {
    if (j >= after.length || (i < before.length && before[i] < after[j])) dropped.push(before[i++]);
    else if (i >= before.length || after[j] < before[i]) grown.push(after[j++]);
    else {
      i++;
      j++;
    }
  }
  return { dropped: Int32Array.from(dropped), grown: Int32Array.from(grown) };
}
