import { SparseMatrix } from "../kernels/sparse-matrix.js";
import type { Kernels } from "../kernels/types.js";
import type { WeightLayer } from "./weight-layer.js";

/**
 * A 3×3 conv kernel W [3, 3, cin, cout] turned around for the input gradient:
 * Wᶠ[kh, kw, co, ci] = W[2−kh, 2−kw, ci, co], so dX = im2col(dY)·Wᶠ (as [9·cout, cin]) — the
 * "same" convolution of the output gradient (patches of dY cost a copy per value where col2im of
 * dY·Wᵀ costs nine scattered additions). Follows its layer's route: sparse (a SparseMatrix of the
 * same nonzeros) when the layer is.
 */
export class FlippedKernel {
  readonly #k: Kernels;
  readonly #layer: WeightLayer;
  readonly #cin: number;
  readonly #cout: number;
  /** Flat index in W of each entry of Wᶠ. */
  readonly #source: Int32Array;
  #dense: Float32Array | undefined;
  #sparse: SparseMatrix | undefined;
  /** Position in the layer's CSR values of each of Wᶠ's (CSR order). */
  #fromCsr = new Int32Array(0);
  #valuesVersion = -1;
  #maskVersion = -1;

  constructor(k: Kernels, layer: WeightLayer, cin: number, cout: number) {
    this.#k = k;
    this.#layer = layer;
    this.#cin = cin;
    this.#cout = cout;
    this.#source = new Int32Array(9 * cin * cout);
    for (let tap = 0, f = 0; tap < 9; tap++) {
      for (let co = 0; co < cout; co++) {
        for (let ci = 0; ci < cin; ci++, f++) this.#source[f] = ((8 - tap) * cin + ci) * cout + co;
      }
    }
  }

  /**
   * Brings Wᶠ up to date with its layer; call once per backward pass, before `inputGrad`. Returns
   * the sparse form when the layer is sparse-routed (then dX is `kernels.spconv` of dY with it, on
   * whole images, with no patches of dY), undefined for a dense layer.
   */
  refresh(): SparseMatrix | undefined {
    const layer = this.#layer, source = this.#source, from = layer.sparse;
    if (!from) {
      this.#sparse?.dispose();
      this.#sparse = undefined;
      this.#dense ??= this.#k.allocFloat32(source.length);
      // A dense layer's weights may be written through `weights()` without a version change: always re-read (9·cin·cout values).
      const w = layer.w, dense = this.#dense;
      for (let f = 0; f < source.length; f++) dense[f] = w[source[f]];
      return undefined;
    }
    if (layer.valuesVersion === this.#valuesVersion && this.#sparse) return this.#sparse;
    if (layer.maskVersion !== this.#maskVersion || !this.#sparse) {
      const position = new Int32Array(source.length).fill(-1);
      from.flatIndices().forEach((flat, j) => (position[flat] = j));
      const bits = Uint8Array.from(source, (s) => (position[s] >= 0 ? 1 : 0));
      const zeros = new Float32Array(source.length);
      if (this.#sparse) this.#sparse.setMask(bits, zeros);
      else this.#sparse = SparseMatrix.fromMask(9 * this.#cout, this.#cin, bits, zeros, this.#k);
      this.#fromCsr = Int32Array.from(this.#sparse.flatIndices(), (f) => position[source[f]]);
      this.#maskVersion = layer.maskVersion;
    }
    const values = this.#sparse.values, fromValues = from.values, fromCsr = this.#fromCsr;
    for (let q = 0; q < fromCsr.length; q++) values[q] = fromValues[fromCsr[q]];
    this.#sparse.syncCsc();
    this.#valuesVersion = layer.valuesVersion;
    return this.#sparse;
  }

  /** A dense layer's dx[m, cin] = dyCols[m, 9·cout]·Wᶠ, zeroed where gate ≤ 0 (the ReLU of the layer's input); after `refresh()`. */
  inputGrad(m: number, dyCols: Float32Array, dx: Float32Array, gate: Float32Array): void {
    this.#k.gemm(m, this.#cin, 9 * this.#cout, dyCols, this.#dense!, dx, { gate });
  }

  dispose(): void {
    this.#sparse?.dispose();
    if (this.#dense) this.#k.free(this.#dense);
  }
}
