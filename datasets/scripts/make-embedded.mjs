#!/usr/bin/env node
/**
 * Writes the embedded Fashion-MNIST subset that @sparselab/datasets ships: a stratified, seeded
 * sample of 1,000 train and 200 test examples per class, as gzipped IDX files plus a manifest.
 * The output is byte-for-byte reproducible (fixed seed, fixed gzip level, zlib's zero mtime), so a
 * rerun proves the shipped files came from the official set.
 *
 *   npx tsc -b datasets && node datasets/scripts/make-embedded.mjs [folder-with-the-full-set]
 *
 * It imports the compiled package (dist/), so the selection uses the same Rng and IDX code as the
 * loaders.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { sha256Hex } from "../dist/checksum.js";
import {
  DEBIAN_FASHION_MNIST_PATH, FASHION_MNIST_ENV, FASHION_MNIST_FILES, officialContents, readFashionMnistFolder,
} from "../dist/fashion-mnist-files.js";
import { encodeIdx } from "../dist/idx.js";
import { Rng } from "../dist/random.js";
import { stratifiedSample } from "../dist/sampling.js";

const SEED = 1;
const PER_CLASS = { train: 1000, test: 200 };
const NUM_CLASSES = 10;
const GZIP_LEVEL = 9;
const OUT = join(dirname(fileURLToPath(import.meta.url)), "../data/fashion-mnist-embedded");

const folder = process.argv[2] ?? process.env[FASHION_MNIST_ENV] ?? DEBIAN_FASHION_MNIST_PATH;
const where = `make-embedded(${JSON.stringify(folder)})`;
const sourceChecksums = new Map();
const verifyOfficial = officialContents(where);
const raw = await readFashionMnistFolder(where, folder, (key, path, fileBytes, contents) => {
  verifyOfficial(key, path, fileBytes, contents);
  sourceChecksums.set(FASHION_MNIST_FILES[key], { sha256: sha256Hex(fileBytes), contentsSha256: sha256Hex(contents) });
});
// The files are read concurrently; list them in a fixed order so the manifest's bytes are reproducible.
const sourceFiles = Object.fromEntries(Object.values(FASHION_MNIST_FILES).map((name) => [name, sourceChecksums.get(name)]));

/** Picks PER_CLASS[split] examples of every class; the order of the official files is kept. */
function pick(split) {
  const { images, labels, imageDims } = raw[split];
  const indices = stratifiedSample(labels, PER_CLASS[split] * NUM_CLASSES, Rng.derive(SEED, `embedded/${split}`));
  const perClass = new Array(NUM_CLASSES).fill(0);
  const features = imageDims[0] * imageDims[1];
  const x = new Uint8Array(indices.length * features);
  const y = new Uint8Array(indices.length);
  indices.forEach((source, row) => {
    x.set(images.subarray(source * features, (source + 1) * features), row * features);
    y[row] = labels[source];
    perClass[labels[source]]++;
  });
  if (perClass.some((n) => n !== PER_CLASS[split])) throw new Error(`${where}: expected ${PER_CLASS[split]} ${split} examples per class, received ${perClass.join(", ")}`);
  return { images: encodeIdx([indices.length, ...imageDims], x), labels: encodeIdx([indices.length], y) };
}

const train = pick("train");
const test = pick("test");
const contents = {
  [FASHION_MNIST_FILES.trainImages]: train.images,
  [FASHION_MNIST_FILES.trainLabels]: train.labels,
  [FASHION_MNIST_FILES.testImages]: test.images,
  [FASHION_MNIST_FILES.testLabels]: test.labels,
};

mkdirSync(OUT, { recursive: true });
const files = {};
for (const [name, bytes] of Object.entries(contents)) {
  const gz = gzipSync(bytes, { level: GZIP_LEVEL });
  writeFileSync(join(OUT, name), gz);
  files[name] = { sha256: sha256Hex(gz), bytes: gz.length, contentsSha256: sha256Hex(bytes) };
}

const manifest = {
  name: "fashion-mnist-embedded",
  description: "Stratified seeded subset of Fashion-MNIST (Zalando Research, MIT licence), written by datasets/scripts/make-embedded.mjs",
  seed: SEED,
  selection: "per split and class, Rng.derive(seed, 'embedded/<split>') shuffles the class's indices and keeps the first perClass; the official order is kept",
  perClass: PER_CLASS,
  counts: { train: PER_CLASS.train * NUM_CLASSES, test: PER_CLASS.test * NUM_CLASSES },
  gzip: { level: GZIP_LEVEL, mtime: 0 },
  source: sourceFiles,
  files,
};
writeFileSync(join(OUT, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`wrote ${Object.keys(files).length} files and manifest.json to ${OUT}`);
