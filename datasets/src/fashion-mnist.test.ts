import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sha256Hex } from "./checksum.js";
import { selectExamples, type Split } from "./dataset.js";
import { EMBEDDED_FOLDER, readEmbedded, readEmbeddedManifest } from "./embedded.js";
import { fashionMnist } from "./fashion-mnist.js";
import { DEBIAN_FASHION_MNIST_PATH, FASHION_MNIST_FILES } from "./fashion-mnist-files.js";
import { encodeIdx } from "./idx.js";
import { Rng } from "./random.js";
import { stratifiedSample } from "./sampling.js";

const ALL_FILES = Object.values(FASHION_MNIST_FILES);

function classCounts(split: Split): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const label of split.y) counts[label]++;
  return counts;
}

/** Byte equality without element-wise matching, which is slow on millions of pixels. */
function sameBytes(a: Float32Array | Int32Array, b: Float32Array | Int32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function tempFolder(): string {
  return mkdtempSync(join(tmpdir(), "sparselab-fmnist-"));
}

/** Valid IDX files with the official names but made-up contents. */
function writeLookalikes(folder: string, gzip: boolean): void {
  const write = (name: string, bytes: Uint8Array) => writeFileSync(join(folder, gzip ? name : name.slice(0, -3)), gzip ? gzipSync(bytes) : bytes);
  write(FASHION_MNIST_FILES.trainImages, encodeIdx([2, 28, 28], new Uint8Array(2 * 784)));
  write(FASHION_MNIST_FILES.trainLabels, encodeIdx([2], new Uint8Array(2)));
  write(FASHION_MNIST_FILES.testImages, encodeIdx([1, 28, 28], new Uint8Array(784)));
  write(FASHION_MNIST_FILES.testLabels, encodeIdx([1], new Uint8Array(1)));
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("the embedded subset", () => {
  it("standardises pixels by default: (p/255 − 0.286) / 0.353", async () => {
    const [unit, standard] = await Promise.all([
      fashionMnist({ source: "embedded", validation: 0, pixels: "unit" }),
      fashionMnist({ source: "embedded", validation: 0 }),
    ]);
    for (const i of [0, 1234, 500_000]) expect(standard.train.x[i]).toBeCloseTo((unit.train.x[i] - 0.286) / 0.353, 5);
    await expect(fashionMnist({ pixels: "raw" as "unit" })).rejects.toThrow(/^fashionMnist\(options\.pixels\): expected one of .*received "raw"/);
  });

  it("has 1,000 train and 200 test examples per class, pixels in [0, 1] when asked", async () => {
    const data = await fashionMnist({ source: "embedded", validation: 0, pixels: "unit" });
    expect(data.source).toBe("embedded");
    expect(data.inputShape).toEqual([28, 28, 1]);
    expect([data.features, data.numClasses, data.classNames.length]).toEqual([784, 10, 10]);
    expect(classCounts(data.train)).toEqual(new Array(10).fill(1000));
    expect(classCounts(data.test)).toEqual(new Array(10).fill(200));
    expect(data.train.x.length).toBe(10_000 * 784);
    expect(data.validation.size).toBe(0);
    const [min, max] = data.test.x.reduce(([lo, hi], v) => [Math.min(lo, v), Math.max(hi, v)], [Infinity, -Infinity]);
    expect(min).toBe(0);
    expect(max).toBe(1);
  });

  it("matches its manifest", async () => {
    const manifest = await readEmbeddedManifest();
    expect(manifest.counts).toEqual({ train: 10_000, test: 2_000 });
    expect(manifest.perClass).toEqual({ train: 1_000, test: 200 });
    expect(Object.keys(manifest.files).sort()).toEqual([...ALL_FILES].sort());
    for (const [name, entry] of Object.entries(manifest.files)) {
      const bytes = readFileSync(join(EMBEDDED_FOLDER, name));
      expect(sha256Hex(bytes), name).toBe(entry.sha256);
      expect(bytes.length, name).toBe(entry.bytes);
    }
  });

  it("holds out a stratified validation split of 10% by default", async () => {
    const data = await fashionMnist({ source: "embedded" });
    expect([data.train.size, data.validation.size, data.test.size]).toEqual([9_000, 1_000, 2_000]);
    expect(classCounts(data.validation)).toEqual(new Array(10).fill(100));
    expect(data.spec).toEqual({ name: "fashion-mnist", source: "embedded", validation: 0.1, splitSeed: 0, pixels: "standard" });
  });

  it("refuses a copy whose file differs from the manifest", async () => {
    const folder = tempFolder();
    cpSync(EMBEDDED_FOLDER, folder, { recursive: true });
    const labelsPath = join(folder, FASHION_MNIST_FILES.testLabels);
    const labels = gunzipSync(readFileSync(labelsPath));
    labels[labels.length - 1] = (labels[labels.length - 1] + 1) % 10;
    writeFileSync(labelsPath, gzipSync(labels));
    await expect(readEmbedded("fashionMnist(options)", folder)).rejects.toThrow(
      /^fashionMnist\(options\): expected ".*t10k-labels-idx1-ubyte\.gz" to have SHA-256 [0-9a-f]{64}, received [0-9a-f]{64} \(corrupt, truncated or a different file\)$/,
    );
  });
});

describe("finding the full set", () => {
  const expectedFiles = "train-images-idx3-ubyte\\.gz, train-labels-idx1-ubyte\\.gz, t10k-images-idx3-ubyte\\.gz, t10k-labels-idx1-ubyte\\.gz";

  it("reports an explicit path that lacks the files, naming each missing file", async () => {
    const folder = tempFolder();
    await expect(fashionMnist({ path: folder })).rejects.toThrow(
      new RegExp(`^fashionMnist\\(options\\.path\\): expected a folder with ${expectedFiles} \\(or the same files unzipped\\), received ".*sparselab-fmnist-.*" \\(missing: ${expectedFiles}\\)$`),
    );
    writeFileSync(join(folder, FASHION_MNIST_FILES.trainLabels), "");
    writeFileSync(join(folder, "t10k-images-idx3-ubyte"), "");
    await expect(fashionMnist({ path: folder })).rejects.toThrow(/\(missing: train-images-idx3-ubyte\.gz, t10k-labels-idx1-ubyte\.gz\)$/);
  });

  it("reports the environment variable's folder the same way", async () => {
    vi.stubEnv("SPARSELAB_FASHION_MNIST", "/nonexistent/fashion");
    await expect(fashionMnist()).rejects.toThrow(/^fashionMnist\(\$SPARSELAB_FASHION_MNIST\): expected a folder with .*, received "\/nonexistent\/fashion" \(missing: /);
  });

  it("ignores the environment variable when the embedded subset is asked for", async () => {
    vi.stubEnv("SPARSELAB_FASHION_MNIST", "/nonexistent/fashion");
    expect((await fashionMnist({ source: "embedded" })).source).toBe("embedded");
  });

  it("refuses files whose contents are not the official ones, gzipped or not", async () => {
    for (const gzip of [true, false]) {
      const folder = tempFolder();
      writeLookalikes(folder, gzip);
      await expect(fashionMnist({ path: folder })).rejects.toThrow(
        /^fashionMnist\(options\.path\): expected the contents of ".*-ubyte(\.gz)?" to have SHA-256 [0-9a-f]{64}, received [0-9a-f]{64} \(corrupt, truncated or a different file\)$/,
      );
    }
  });

  it("refuses a path together with the embedded source", async () => {
    await expect(fashionMnist({ source: "embedded", path: "/x" })).rejects.toThrow(/^fashionMnist\(options\.path\): expected no path when source is "embedded", received "\/x"$/);
  });
});

describe("the full set from the Debian package", () => {
  it.skipIf(!existsSync(DEBIAN_FASHION_MNIST_PATH))("loads 60,000 train and 10,000 test examples and contains the embedded subset", async () => {
    const full = await fashionMnist({ source: "full", validation: 0 });
    expect(full.source).toBe("full");
    expect(full.spec).toEqual({ name: "fashion-mnist", source: "full", validation: 0, splitSeed: 0, pixels: "standard" });
    expect(classCounts(full.train)).toEqual(new Array(10).fill(6_000));
    expect(classCounts(full.test)).toEqual(new Array(10).fill(1_000));

    // Replaying the script's selection on the full set must give exactly the shipped subset.
    const embedded = await fashionMnist({ source: "embedded", validation: 0 });
    const { seed } = await readEmbeddedManifest();
    for (const split of ["train", "test"] as const) {
      const picked = stratifiedSample(full[split].y, embedded[split].size, Rng.derive(seed, `embedded/${split}`));
      const replayed = selectExamples(full[split], picked);
      expect(sameBytes(replayed.y, embedded[split].y), `${split} labels`).toBe(true);
      expect(sameBytes(replayed.x, embedded[split].x), `${split} images`).toBe(true);
    }
  });
});
