/** @sparselab/datasets: Fashion-MNIST and synthetic data as typed arrays, with seeded splits and batches. */
export { Rng } from "./random.js";
export type { Dataset, InputShape, Split } from "./dataset.js";
export { selectExamples } from "./dataset.js";
export { batches, subsetOf, type Batch, type BatchOptions, type Batches } from "./batches.js";
export { fashionMnist, type FashionMnistOptions } from "./fashion-mnist.js";
export {
  DEBIAN_FASHION_MNIST_PATH, FASHION_MNIST_CLASS_NAMES, FASHION_MNIST_ENV, FASHION_MNIST_FILES, FASHION_MNIST_SHA256,
} from "./fashion-mnist-files.js";
export { synthetic, type SyntheticOptions } from "./synthetic.js";
export { loadDataset, DATASET_NAMES, DATASET_SPEC_KEYS, type DatasetSpec, type FashionMnistSpec, type SyntheticSpec } from "./spec.js";
export { encodeIdx, parseIdx, readIdxFile, type IdxArray } from "./idx.js";
