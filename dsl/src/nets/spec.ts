import { argError } from "../errors.js";

/** A multilayer perceptron with ReLU hidden layers: sizes = [input, hidden…, classes]. */
export interface MlpSpec {
  readonly kind: "mlp";
  readonly sizes: readonly number[];
  readonly seed: number;
}

/**
 * A small VGG-style ConvNet (Conv-2 / Conv-4 of the lottery-ticket paper): 3×3 same-padded ReLU
 * convolutions, "pool" = 2×2 max-pool, then ReLU dense layers; the last dense width is the class count.
 */
export interface ConvSpec {
  readonly kind: "conv";
  readonly input: readonly [number, number, number];
  readonly convs: readonly (number | "pool")[];
  readonly dense: readonly number[];
  readonly seed: number;
}

/**
 * A tiny Vision Transformer (see vit.ts): `patch`×`patch` patches, token width `dim`, `heads`
 * attention heads, FFN width `mlp`, `depth` blocks, mean-pooled tokens into a `classes`-way head.
 */
export interface VitSpec {
  readonly kind: "vit";
  readonly input: readonly [number, number, number];
  readonly patch: number;
  readonly dim: number;
  readonly heads: number;
  readonly mlp: number;
  readonly depth: number;
  readonly classes: number;
  readonly seed: number;
}

export type NetSpec = MlpSpec | ConvSpec | VitSpec;

const VIT_KEYS = [["p", "patch"], ["d", "dim"], ["h", "heads"], ["f", "mlp"], ["l", "depth"], ["c", "classes"]] as const;

/**
 * "mlp:784-300-100-10", "conv:28x28x1:64-64-pool/256-256-10" or "vit:28x28x1:p7-d32-h4-f64-l2-c10"
 * (seed is not part of the text).
 */
export function netSpecToString(spec: NetSpec): string {
  if (spec.kind === "mlp") return `mlp:${spec.sizes.join("-")}`;
  if (spec.kind === "vit") return `vit:${spec.input.join("x")}:${VIT_KEYS.map(([short, key]) => `${short}${spec[key]}`).join("-")}`;
  return `conv:${spec.input.join("x")}:${spec.convs.join("-")}/${spec.dense.join("-")}`;
}

const positiveInts = (parts: string[]) => parts.every((p) => /^[1-9]\d*$/.test(p));

/** Parses the text form of `netSpecToString`; `call` names the caller in errors. */
export function parseNetSpec(text: string, seed: number, call = "parseNetSpec"): NetSpec {
  // (A "vit:28x28x1:p7-d32-h4-f64-l2-c10" is accepted too; the message names the common kinds, which tests pin.)
  const expected = 'a net like "mlp:784-300-100-10" or "conv:28x28x1:64-64-pool/256-256-10"';
  if (typeof text !== "string") throw argError(call, "net", expected, text);
  const [kind, ...rest] = text.split(":");
  if (kind === "mlp" && rest.length === 1) {
    const parts = rest[0].split("-");
    if (parts.length >= 2 && positiveInts(parts)) return { kind: "mlp", sizes: parts.map(Number), seed };
  }
  if (kind === "conv" && rest.length === 2) {
    const input = rest[0].split("x");
    const [convText, denseText] = rest[1].split("/");
    const convs = (convText ?? "").split("-");
    const dense = (denseText ?? "").split("-");
    if (input.length === 3 && positiveInts(input) && positiveInts(dense) &&
        convs[0] !== "pool" && convs.every((c) => c === "pool" || positiveInts([c]))) {
      return {
        kind: "conv",
        input: input.map(Number) as [number, number, number],
        convs: convs.map((c) => (c === "pool" ? "pool" : Number(c))),
        dense: dense.map(Number),
        seed,
      };
    }
  }
  if (kind === "vit" && rest.length === 2) {
    const input = rest[0].split("x");
    const parts = rest[1].split("-");
    if (input.length === 3 && positiveInts(input) && parts.length === VIT_KEYS.length &&
        parts.every((part, i) => part[0] === VIT_KEYS[i][0] && positiveInts([part.slice(1)]))) {
      const sizes = Object.fromEntries(parts.map((part, i) => [VIT_KEYS[i][1], Number(part.slice(1))]));
      const spec = { kind: "vit", input: input.map(Number) as [number, number, number], ...sizes, seed } as unknown as VitSpec;
      const [h, w] = spec.input;
      if (h % spec.patch === 0 && w % spec.patch === 0 && spec.dim % spec.heads === 0) return spec;
    }
  }
  throw argError(call, "net", expected, text);
}
