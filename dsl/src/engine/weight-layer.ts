import { argError } from "../errors.js";
import { SparseMatrix } from "../kernels/sparse-matrix.js";
import type { KernelName, Kernels, UpdateRule } from "../kernels/types.js";

/** How an engine runs one of its kernels. */
export interface LayerMode {
  readonly name: string;
  /** The parameter's shape ([in, out], or [3, 3, cin, cout] for a conv). */
  readonly shape: readonly number[];
  readonly density: number;
  readonly mode: "dense" | "sparse";
}

export interface WeightLayerInit {
  /** Parameter prefix: `${name}.kernel` and `${name}.bias`. */
  readonly name: string;
  /** The parameter's shape; its elements are W [in, out] row-major. */
  readonly shape: readonly number[];
  readonly in: number;
  readonly out: number;
  /** This layer's sparse break-even density per implementation, when not the engine's general one (its `sparseBelow` option overrides both). */
  readonly sparseBelow?: Readonly<Record<KernelName, number>>;
}

/**
 * One trainable weight matrix W [in, out] (row-major, y = x·W + b) with its bias, 0/1 mask,
 * optimizer slots and gradients. A dense layer is one; so is a 3×3 conv, as its [3, 3, cin, cout]
 * kernel read as [9·cin, cout] times im2col rows. Masked below `threshold` density it runs on
 * spmm / sddmm (a conv: spconv / spconvGrad, driven by the conv engine), and then `sparse.values`
 * is the only copy of the kept weights and `cSlots` of their slots (CSR order, compact): the dense
 * `w` and `wSlots` are then views made on demand and dropped by the next step, so that a sparse
 * layer holds memory in proportion to its nonzeros and a step never touches dense arrays.
 */
export class WeightLayer {
  readonly kernelName: string;
  readonly biasName: string;
  readonly shape: readonly number[];
  readonly in: number;
  readonly out: number;
  readonly b: Float32Array;
  readonly bSlots: Float32Array[];
  readonly gBias: Float32Array;
  readonly #k: Kernels;
  readonly #threshold: number;
  readonly #slotCount: number;
  /**
   * The dense kernel and its slots: a dense-routed layer's working arrays (kernel memory, then
   * `#ownsDense`); for a sparse-routed one, JS-heap views of the compact copies, made by
   * `#materialize` and dropped by the next step or mask change (undefined in between).
   */
  #w: Float32Array | undefined;
  #wSlots: Float32Array[] = [];
  #ownsDense = false;
  /** Bias gradients are 1ᵀ·dY, a gemm with m = 1 over this (grown to the most rows seen). */
  #ones: Float32Array = new Float32Array(0);
  #mask: Uint8Array | undefined;
  /** Indices of the kept weights (ascending) when masked. */
  #kept: Int32Array | undefined;
  #sparse: SparseMatrix | undefined;
  #cSlots: Float32Array[] = [];
  #valuesVersion = 0;
  #maskVersion = 0;
  /** Sparse gradient (CSR order) when sparse-routed with compact copies. */
  #gSparse: Float32Array | undefined;
  /** Dense gradient (allocated when first needed). */
  #gDense: Float32Array | undefined;

  /** `mask` (undefined: dense) is applied as by `setMask`; a layer born sparse-routed never holds dense kernel arrays. */
  constructor(k: Kernels, init: WeightLayerInit, slotCount: number, threshold: number, weights: ReadonlyMap<string, Float32Array>,
    mask: Uint8Array | undefined, call: string) {
    this.#k = k;
    this.#threshold = threshold;
    this.#slotCount = slotCount;
    this.kernelName = `${init.name}.kernel`;
    this.biasName = `${init.name}.bias`;
    this.shape = init.shape;
    this.in = init.in;
    this.out = init.out;
    const size = init.in * init.out;
    this.b = k.allocFloat32(init.out);
    // Until setMask routes the layer, `#w` is the caller's array (read, never written) and the
    // slots are absent (zero): a layer born sparse-routed then never holds a dense copy.
    this.#w = checkParam(call, weights, this.kernelName, size);
    this.b.set(checkParam(call, weights, this.biasName, init.out));
    this.bSlots = Array.from({ length: slotCount }, () => k.allocFloat32(init.out));
    this.gBias = k.allocFloat32(init.out);
    try {
      this.setMask(mask, call);
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  get mode(): LayerMode {
    return {
      name: this.kernelName, shape: this.shape,
      density: this.#kept ? this.#kept.length / (this.in * this.out) : 1,
      mode: this.#sparse ? "sparse" : "dense",
    };
  }

  /**
   * The dense kernel W [in, out]: live for a dense-routed layer; for a sparse-routed one a view of
   * the compact copy, current until the next step (which trains the compact copy only).
   */
  get w(): Float32Array {
    this.#materialize();
    return this.#w!;
  }

  /** The kernel's optimizer slots, dense, with the same lifetime as `w`. */
  get wSlots(): readonly Float32Array[] {
    this.#materialize();
    return this.#wSlots;
  }

  /** The sparse form when sparse-routed (its `values` the only copy of the kept weights). */
  get sparse(): SparseMatrix | undefined {
    return this.#sparse;
  }

  /** Counts changes of the kernel's values (steps, mask changes, syncs) and of its mask: for copies derived from it. */
  get valuesVersion(): number {
    return this.#valuesVersion;
  }
  get maskVersion(): number {
    return this.#maskVersion;
  }

  /** y[m, out] = x[m, in]·W + b, with ReLU when asked. */
  forward(m: number, x: Float32Array, y: Float32Array, relu: boolean): void {
    if (this.#sparse) this.#k.spmm(m, x, this.#sparse, y, { bias: this.b, relu });
    else this.#k.gemm(m, this.out, this.in, x, this.#w!, y, { bias: this.b, relu });
  }

  /**
   * Bias and weight gradients from the m rows of x and dy (dLoss/d(pre-activation)); `dense`
   * forms the dense weight gradient even when sparse-routed, `accumulate` adds to the gradients of
   * earlier row blocks of the same batch (conv layers, whose weight gradients are always dense).
   */
  weightGrads(m: number, x: Float32Array, dy: Float32Array, dense: boolean, accumulate: boolean): void {
    this.#biasGrad(m, dy, accumulate);
    if (this.#sparse && !dense) this.#k.sddmm(m, x, dy, this.#sparse, this.#gSparse!);
    else {
      this.#gDense ??= this.#k.allocFloat32(this.in * this.out);
      this.#k.gemm(this.in, this.out, m, x, dy, this.#gDense, { transA: true, beta: accumulate ? 1 : 0 });
    }
  }

  /**
   * A sparse-routed 3×3 conv layer's bias gradient and sampled weight gradient from whole NHWC
   * images, x [n, h, w, in/9] and dy [n, h, w, out] (kernels.spconvGrad: no patches).
   */
  convGrads(n: number, h: number, w: number, x: Float32Array, dy: Float32Array): void {
    this.#biasGrad(n * h * w, dy, false);
    this.#k.spconvGrad(n, h, w, x, dy, this.#sparse!, this.#gSparse!);
  }

  /** gBias (+)= 1ᵀ·dy over m rows. */
  #biasGrad(m: number, dy: Float32Array, accumulate: boolean): void {
    const k = this.#k;
    if (this.#ones.length < m) {
      k.free(this.#ones);
      this.#ones = k.allocFloat32(m).fill(1);
    }
    k.gemm(1, this.out, m, this.#ones, dy, this.gBias, { beta: accumulate ? 1 : 0 });
  }

  /** dx[m, in] = dy·Wᵀ, zeroed where `gate` ≤ 0 (the input's ReLU) when given. */
  inputGrad(m: number, dy: Float32Array, dx: Float32Array, gate?: Float32Array): void {
    if (this.#sparse) this.#k.spmm(m, dy, this.#sparse, dx, { transpose: true, gate });
    else this.#k.gemm(m, this.in, this.out, dy, this.#w!, dx, { transB: true, gate });
  }

  /** The dense weight gradient of the last `weightGrads(…, dense = true)`. */
  get denseGrad(): Float32Array {
    return this.#gDense!;
  }

  /** One optimizer step from the gradients of the last `weightGrads(…, dense = false)`. */
  update(rule: UpdateRule): void {
    const k = this.#k;
    this.#valuesVersion++;
    k.update(rule, this.b, this.gBias, this.bSlots);
    if (this.#sparse) {
      k.update(rule, this.#sparse.values, this.#gSparse!, this.#cSlots, { count: this.#sparse.nnz });
      this.#sparse.syncCsc();
      this.#w = undefined;
      this.#wSlots = [];
    } else if (this.#kept) k.update(rule, this.#w!, this.#gDense!, this.#wSlots, { index: this.#kept });
    else k.update(rule, this.#w!, this.#gDense!, this.#wSlots);
  }

  /** Makes the dense views of a sparse-routed layer from its compact copies, unless they exist (and so are current). */
  #materialize(): void {
    const sparse = this.#sparse;
    if (!sparse || this.#w) return;
    const size = this.in * this.out;
    this.#w = new Float32Array(size);
    sparse.scatter(sparse.values, this.#w);
    this.#wSlots = this.#cSlots.map((c) => {
      const slot = new Float32Array(size);
      sparse.scatter(c, slot);
      return slot;
    });
  }

  /**
   * A new mask (undefined: dense). Pruned weights and slots become exactly 0 (grown ones keep
   * their slots at 0: they were pruned); a layer that stays sparse is updated incrementally.
   */
  setMask(bits: Uint8Array | undefined, call: string): void {
    const k = this.#k, total = this.in * this.out;
    if (bits !== undefined && (!(bits instanceof Uint8Array) || bits.length !== total)) {
      throw argError(call, this.kernelName, `a Uint8Array of ${total} 0/1 values (or undefined)`, bits);
    }
    const w = this.w, slots = this.wSlots;
    this.#valuesVersion++;
    this.#maskVersion++;
    const previous = this.#kept;
    let kept: Int32Array | undefined;
    if (bits) {
      let n = 0;
      for (let i = 0; i < total; i++) if (bits[i]) n++;
      kept = k.allocInt32(n);
      for (let i = 0, q = 0; i < total; i++) if (bits[i]) kept[q++] = i;
    }
    this.#mask = bits ? Uint8Array.from(bits) : undefined;
    this.#kept = kept;
    if (kept === undefined || kept.length >= this.#threshold * total) {
      this.#dropSparse();
      if (!this.#ownsDense) {
        // the working arrays, in kernel memory, from the views (or the caller's weights)
        this.#w = copyInto(k.allocFloat32(total), w);
        this.#wSlots = Array.from({ length: this.#slotCount }, (_, s) => (slots[s] ? copyInto(k.allocFloat32(total), slots[s]) : k.allocFloat32(total)));
        this.#ownsDense = true;
      }
      if (bits) {
        const dense = [this.#w!, ...this.#wSlots];
        for (let i = 0; i < total; i++) if (!bits[i]) for (const a of dense) a[i] = 0;
      }
    } else {
      if (this.#sparse && previous) this.#sparse.update(diffSorted(previous, kept), w);
      else this.#sparse = SparseMatrix.fromMask(this.in, this.out, bits!, w, k);
      this.#compactCopies(kept, slots);
      // the compact copies are now the truth: the dense arrays go (views are made on demand)
      if (this.#ownsDense) for (const a of [w, ...slots]) k.free(a);
      this.#ownsDense = false;
      this.#w = undefined;
      this.#wSlots = [];
    }
    if (previous) k.free(previous);
  }

  /** The compact gradient and slots of a sparse-routed layer, slots gathered from the dense ones (zero when absent). */
  #compactCopies(kept: Int32Array, slots: readonly Float32Array[]): void {
    const k = this.#k, cap = this.#sparse!.values.length;
    if (!this.#gSparse || this.#gSparse.length < cap) {
      if (this.#gSparse) k.free(this.#gSparse);
      this.#gSparse = k.allocFloat32(cap);
    }
    if (this.#cSlots.length === 0 || this.#cSlots[0].length !== cap) {
      this.#cSlots.forEach((c) => k.free(c));
      this.#cSlots = Array.from({ length: this.#slotCount }, () => k.allocFloat32(cap));
    }
    this.#cSlots.forEach((c, s) => {
      const dense = slots[s];
      if (dense) for (let j = 0; j < kept.length; j++) c[j] = dense[kept[j]];
      else c.fill(0);
    });
  }

  /** The dense `w` (written by a caller) becomes the truth: pruned positions re-zeroed, sparse copy reloaded. */
  syncWeights(): void {
    this.#valuesVersion++;
    const w = this.w, mask = this.#mask;
    if (mask) for (let i = 0; i < w.length; i++) if (!mask[i]) w[i] = 0;
    this.#sparse?.loadValues(w);
  }

  resetSlots(): void {
    for (const a of [...this.#wSlots, ...this.bSlots, ...this.#cSlots]) a.fill(0);
  }

  dispose(): void {
    this.#dropSparse();
    const dense = this.#ownsDense ? [this.#w, ...this.#wSlots] : []; // else views, or the caller's weights
    for (const a of [...dense, this.b, this.gBias, this.#ones, this.#gDense, this.#kept, ...this.bSlots]) if (a) this.#k.free(a);
  }

  #dropSparse(): void {
    this.#sparse?.dispose();
    for (const a of [this.#gSparse, ...this.#cSlots]) if (a) this.#k.free(a);
    this.#sparse = undefined;
    this.#gSparse = undefined;
    this.#cSlots = [];
  }
}

function copyInto(target: Float32Array, source: Float32Array): Float32Array {
  target.set(source);
  return target;
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
