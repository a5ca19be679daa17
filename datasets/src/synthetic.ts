/**
 * A small, learnable stand-in for Fashion-MNIST: each class has a random prototype image and its
 * examples are that prototype plus Gaussian noise, clipped to [0, 1]. Tests and fast notebook
 * configs train on it in milliseconds, with the same shapes and API as the real data.
 */
import { splitOffValidation, wholeSplit, type Dataset, type InputShape } from "./dataset.js";
import { argName, describe, invalid, type ArgName } from "./errors.js";
import { Rng } from "./random.js";
import { expectValidation } from "./sampling.js";
import type { SyntheticSpec } from "./spec.js";
import { expectInteger, expectNumber, expectOptions } from "./validate.js";

export interface SyntheticOptions {
  /** Train examples before the validation hold-out (default 1000). */
  readonly train?: number;
  /** Test examples (default 200). */
  readonly test?: number;
  /** Held out of train: a fraction in [0, 1) or a whole count ≥ 1 (default 0.1). */
  readonly validation?: number;
  /** Default [28, 28, 1], like Fashion-MNIST. */
  readonly inputShape?: InputShape;
  /** Shorthand for `inputShape: [1, features, 1]`; give one of the two. */
  readonly features?: number;
  /** Default 10. */
  readonly numClasses?: number;
  /** Standard deviation of the per-pixel noise around each prototype (default 0.5). */
  readonly noise?: number;
  /** Draws the prototypes and the examples (default 0). */
  readonly seed?: number;
  /** Chooses the validation examples (default 0). */
  readonly splitSeed?: number;
}

export const SYNTHETIC_OPTION_KEYS = ["train", "test", "validation", "inputShape", "features", "numClasses", "noise", "seed", "splitSeed"] as const;

function expectInputShape(value: unknown, where: string): InputShape {
  const ok = Array.isArray(value) && value.length === 3 && value.every((d) => Number.isSafeInteger(d) && d >= 1);
  if (!ok) throw invalid(where, "[height, width, channels] of integers ≥ 1", describe(value));
  return [value[0], value[1], value[2]];
}

function resolveInputShape(options: Record<string, unknown>, name: ArgName): InputShape {
  if (options.inputShape !== undefined && options.features !== undefined) {
    throw invalid(name("features"), "either features or inputShape, not both", describe(options.features));
  }
  if (options.features !== undefined) return [1, expectInteger(options.features, name("features"), 1), 1];
  return options.inputShape === undefined ? [28, 28, 1] : expectInputShape(options.inputShape, name("inputShape"));
}

/** `count` examples with balanced classes in a seeded order. */
function generate(prototypes: Float32Array, numClasses: number, count: number, noise: number, rng: Rng) {
  const features = prototypes.length / numClasses;
  const y = rng.shuffle(Int32Array.from({ length: count }, (_, i) => i % numClasses));
  const x = new Float32Array(count * features);
  for (let i = 0; i < count; i++) {
    for (let f = 0; f < features; f++) {
      const pixel = prototypes[y[i] * features + f] + noise * rng.normal();
      x[i * features + f] = Math.min(1, Math.max(0, pixel));
    }
  }
  return { x, y, features, transform: { scale: 1, shift: 0 } };
}

/** Validates `input` (options or a spec; `extraKeys` admits a spec's `name`) and generates the data. */
export function loadSynthetic(input: unknown, name: ArgName, extraKeys: readonly string[] = []): Dataset {
  const options = expectOptions(input, name(), [...extraKeys, ...SYNTHETIC_OPTION_KEYS]);
  const inputShape = resolveInputShape(options, name);
  const spec: SyntheticSpec & Required<Omit<SyntheticSpec, "features">> = {
    name: "synthetic",
    train: options.train === undefined ? 1000 : expectInteger(options.train, name("train"), 1),
    test: options.test === undefined ? 200 : expectInteger(options.test, name("test"), 0),
    validation: options.validation === undefined ? 0.1 : expectValidation(options.validation, name("validation")),
    inputShape,
    numClasses: options.numClasses === undefined ? 10 : expectInteger(options.numClasses, name("numClasses"), 2),
    noise: options.noise === undefined ? 0.5 : expectNumber(options.noise, name("noise"), 0, Number.MAX_VALUE),
    seed: options.seed === undefined ? 0 : expectInteger(options.seed, name("seed")),
    splitSeed: options.splitSeed === undefined ? 0 : expectInteger(options.splitSeed, name("splitSeed")),
  };
  const features = inputShape[0] * inputShape[1] * inputShape[2];
  const prototypeRng = Rng.derive(spec.seed, "synthetic/prototypes");
  const prototypes = Float32Array.from({ length: spec.numClasses * features }, () => prototypeRng.next());
  const trainExamples = generate(prototypes, spec.numClasses, spec.train, spec.noise, Rng.derive(spec.seed, "synthetic/train"));
  const { train, validation } = splitOffValidation(trainExamples, spec.validation, spec.splitSeed, name("validation"));
  return {
    name: "synthetic",
    source: "synthetic",
    spec,
    inputShape,
    features,
    numClasses: spec.numClasses,
    classNames: Array.from({ length: spec.numClasses }, (_, c) => `class ${c}`),
    train,
    validation,
    test: wholeSplit(generate(prototypes, spec.numClasses, spec.test, spec.noise, Rng.derive(spec.seed, "synthetic/test"))),
  };
}

/**
 * A synthetic dataset of Fashion-MNIST's shape family, generated in memory from `seed`.
 *
 * @example
 * const data = synthetic({ train: 500, test: 100, features: 20, numClasses: 3, seed: 1 });
 */
export function synthetic(options?: SyntheticOptions): Dataset {
  return loadSynthetic(options, argName("synthetic", "options"));
}
