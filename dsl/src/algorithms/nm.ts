import { magnitudeScores } from "../criteria/index.js";
import { argError } from "../errors.js";
import { Mask, MaskSet, nmMask } from "../masks/index.js";
import type { PrunableTensor } from "../nets/index.js";
import { checkKnownKeys, checkNumberIn, checkOneOf, checkPlainObject, checkPositiveInt } from "../validate.js";
import type { MaskChange, SparsityAlgorithm, UpdateContext } from "./base.js";
import { maskChange } from "./change.js";

/**
 * N:M sparsity trained with dense weights seen through the mask (recipes' `nm`):
 * - "srste": SR-STE (Zhou et al. 2021) — the forward uses w ⊙ m, the gradient reaches every weight
 *   (straight-through) plus λ·(1 − m) ⊙ w pulling pruned weights towards 0;
 * - "decay": mask-decay gradient flow (Bambhaniya et al. 2024) — pruned weights count with a factor
 *   β that decays to 0 by `decayEnd` (linearly or exponentially), and so does their gradient.
 * Masks are recomputed by magnitude every `every` steps; the final weights are hard N:M sparse.
 */
export interface NmSpec {
  readonly n: number;
  readonly m: number;
  readonly every: number;
  readonly variant: "srste" | "decay";
  /** SR-STE's λ_w. */
  readonly refine: number;
  /** Decay: β reaches 0 at this fraction of training, along this curve. */
  readonly decayEnd: number;
  readonly decayShape: "linear" | "exponential";
  /** Kernels left dense, e.g. a first conv whose input channels M does not divide (as NVIDIA's ASP skips it). */
  readonly dense?: readonly string[];
}

const KEYS = ["n", "m", "every", "variant", "refine", "decayEnd", "decayShape", "dense"] as const;

export function validateNm(value: unknown, call = "nm"): NmSpec {
  const o = checkPlainObject(call, "options", value);
  checkKnownKeys(call, "options", o, KEYS);
  const n = checkPositiveInt(call, "n", o.n);
  const m = checkPositiveInt(call, "m", o.m);
  if (n > m) throw argError(call, "n", `at most m (${m})`, n);
  checkPositiveInt(call, "every", o.every);
  checkOneOf(call, "variant", o.variant, ["srste", "decay"]);
  checkNumberIn(call, "refine", o.refine, 0, 1);
  checkNumberIn(call, "decayEnd", o.decayEnd, 0, 1, { minOpen: true });
  checkOneOf(call, "decayShape", o.decayShape, ["linear", "exponential"]);
  if (o.dense !== undefined && (!Array.isArray(o.dense) || o.dense.some((d) => typeof d !== "string") || new Set(o.dense).size !== o.dense.length)) {
    throw argError(call, "dense", "distinct kernel names, like [\"conv1.kernel\"]", o.dense);
  }
  return Object.freeze({ ...o, ...(o.dense !== undefined && { dense: Object.freeze([...(o.dense as string[])]) }) }) as unknown as NmSpec;
}

/**
 * `nm(2, 4)`: SR-STE with λ = 2e-4; `nm(1, 4, { variant: "decay" })`: mask-decay gradient flow.
 * Masks are recomputed every 10 steps by default (SR-STE recomputes every step: `every: 1`), which
 * keeps the mask search from dominating step time on a CPU.
 */
export function nm(n: number, m: number, options: Partial<Omit<NmSpec, "n" | "m">> = {}): NmSpec {
  return validateNm({ every: 10, variant: "srste", refine: 2e-4, decayEnd: 0.75, decayShape: "exponential", ...checkPlainObject("nm", "options", options), n, m }, "nm");
}

/** N:M masks keeping the largest |w| of every group of M along each kernel's input axis. */
export function nmMasks(tensors: readonly PrunableTensor[], scores: ReadonlyMap<string, Float32Array>, spec: Pick<NmSpec, "n" | "m" | "dense">): MaskSet {
  const dense = new Set(spec.dense ?? []);
  for (const name of dense) {
    if (!tensors.some((t) => t.name === name)) throw argError("nm", "options.dense", `names among ${tensors.map((t) => t.name).join(", ")}`, name);
  }
  return MaskSet.from(tensors.map((t) => {
    if (dense.has(t.name)) return [t.name, Mask.dense(t.shape)];
    const axis = t.shape.length - 2;
    if (t.shape[axis] % spec.m !== 0) {
      throw argError("nm", "m", `a divisor of ${t.name}'s input dimension ${t.shape[axis]} (or keep it dense: options.dense = ["${t.name}"])`, spec.m);
    }
    return [t.name, nmMask(t.shape, scores.get(t.name)!, spec.n, spec.m, axis)];
  }));
}

export function nmAlgorithm(spec: NmSpec): SparsityAlgorithm {
  const beta = (step: number, totalSteps: number): number => {
    const p = Math.min(1, step / Math.max(1, spec.decayEnd * totalSteps));
    if (p >= 1) return 0;
    return spec.decayShape === "linear" ? 1 - p : (1 - p) * Math.exp(-5 * p); // exponential with a hard zero at the end
  };
  return {
    name: `nm-${spec.variant}`,
    needsDenseGradients: false,
    updatesAt: (step) => step % spec.every === 0,
    soft: spec.variant === "srste"
      ? { scale: () => 0, gradScale: () => 1, refine: spec.refine }
      : { scale: beta, gradScale: beta, refine: 0 },
    update(context: UpdateContext): MaskChange {
      return maskChange(context.masks, nmMasks(context.net.prunable, magnitudeScores(context.net), spec));
    },
    toJSON: () => spec,
  };
}
