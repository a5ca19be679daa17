/**
 * Dataset specs: plain JSON naming a dataset and its options. Every `Dataset` carries the resolved
 * spec it was built from, so a recipe can store it and `loadDataset` rebuilds the same examples.
 */
import type { Dataset } from "./dataset.js";
import { argName, describe, invalid } from "./errors.js";
import { FASHION_MNIST_OPTION_KEYS, loadFashionMnist, type FashionMnistOptions } from "./fashion-mnist.js";
import { loadSynthetic, SYNTHETIC_OPTION_KEYS, type SyntheticOptions } from "./synthetic.js";

export interface FashionMnistSpec extends FashionMnistOptions {
  readonly name: "fashion-mnist";
}

export interface SyntheticSpec extends SyntheticOptions {
  readonly name: "synthetic";
}

export type DatasetSpec = FashionMnistSpec | SyntheticSpec;

export const DATASET_NAMES = ["fashion-mnist", "synthetic"] as const satisfies readonly DatasetSpec["name"][];

/** The keys each dataset's spec accepts, so a recipe can be checked before its data loads. */
export const DATASET_SPEC_KEYS = {
  "fashion-mnist": ["name", ...FASHION_MNIST_OPTION_KEYS],
  synthetic: ["name", ...SYNTHETIC_OPTION_KEYS],
} as const satisfies Record<DatasetSpec["name"], readonly string[]>;

/**
 * Loads the dataset a spec describes, validating it first: unknown keys and wrong types are
 * errors that name the key and the value received.
 *
 * @example
 * const again = await loadDataset(JSON.parse(JSON.stringify(data.spec)));
 */
export async function loadDataset(spec: DatasetSpec): Promise<Dataset> {
  const name = argName("loadDataset", "spec");
  if (spec === null || typeof spec !== "object" || Array.isArray(spec)) throw invalid(name(), "an object", describe(spec));
  switch (spec.name) {
    case "fashion-mnist":
      return loadFashionMnist(spec, name, ["name"]);
    case "synthetic":
      return loadSynthetic(spec, name, ["name"]);
    default:
      throw invalid(name("name"), `one of ${DATASET_NAMES.map((n) => JSON.stringify(n)).join(", ")}`, describe((spec as { name?: unknown }).name));
  }
}
