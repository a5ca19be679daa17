/**
 * The four Fashion-MNIST files, where they may be, and how they are read and verified.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { expectSha256 } from "./checksum.js";
import { invalid } from "./errors.js";
import { gunzipIfNeeded, parseIdx, type IdxArray } from "./idx.js";

export const FASHION_MNIST_FILES = {
  trainImages: "train-images-idx3-ubyte.gz",
  trainLabels: "train-labels-idx1-ubyte.gz",
  testImages: "t10k-images-idx3-ubyte.gz",
  testLabels: "t10k-labels-idx1-ubyte.gz",
} as const;

export type FashionMnistFile = keyof typeof FASHION_MNIST_FILES;

/**
 * SHA-256 of each official file's *decompressed* IDX bytes. The .gz bytes are not a stable
 * identity: Debian's dataset-fashion-mnist recompressed the files (their MD5s differ from the ones
 * Zalando publishes) while the contents are identical, so hashing the contents accepts both copies,
 * and unzipped ones too.
 */
export const FASHION_MNIST_SHA256: Readonly<Record<FashionMnistFile, string>> = {
  trainImages: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
  trainLabels: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
  testImages: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
  testLabels: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
};

export const FASHION_MNIST_CLASS_NAMES = [
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
] as const;

export const DEBIAN_FASHION_MNIST_PATH = "/usr/share/datasets/fashion-mnist";
export const FASHION_MNIST_ENV = "SPARSELAB_FASHION_MNIST";

const KEYS = Object.keys(FASHION_MNIST_FILES) as FashionMnistFile[];

/** The path of `key` in `folder`: the .gz file, else the same file unzipped; undefined if neither. */
function locate(folder: string, key: FashionMnistFile): string | undefined {
  const gz = join(folder, FASHION_MNIST_FILES[key]);
  const plain = gz.slice(0, -".gz".length);
  return existsSync(gz) ? gz : existsSync(plain) ? plain : undefined;
}

/** The file names `folder` lacks (all four when the folder does not exist). */
export function missingFiles(folder: string): string[] {
  return KEYS.filter((key) => locate(folder, key) === undefined).map((key) => FASHION_MNIST_FILES[key]);
}

export function missingFilesError(where: string, folder: string, missing: readonly string[]): Error {
  return invalid(where, `a folder with ${Object.values(FASHION_MNIST_FILES).join(", ")} (or the same files unzipped)`, `${JSON.stringify(folder)} (missing: ${missing.join(", ")})`);
}

export interface ImagesAndLabels {
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly imageDims: readonly number[];
}

export interface RawFashionMnist {
  readonly train: ImagesAndLabels;
  readonly test: ImagesAndLabels;
}

/** Checks one file before it is parsed; `contents` are the decompressed bytes. */
export type Verify = (key: FashionMnistFile, path: string, fileBytes: Uint8Array, contents: Uint8Array) => void;

async function readVerified(where: string, folder: string, key: FashionMnistFile, verify: Verify): Promise<IdxArray> {
  const path = locate(folder, key);
  if (path === undefined) throw missingFilesError(where, folder, missingFiles(folder));
  const fileBytes = await readFile(path);
  const contents = await gunzipIfNeeded(fileBytes, path);
  verify(key, path, fileBytes, contents);
  return parseIdx(contents, path);
}

async function readPair(where: string, folder: string, images: FashionMnistFile, labels: FashionMnistFile, verify: Verify): Promise<ImagesAndLabels> {
  const [x, y] = await Promise.all([readVerified(where, folder, images, verify), readVerified(where, folder, labels, verify)]);
  const [count, ...imageDims] = x.dims;
  if (x.dims.length !== 3 || y.dims.length !== 1 || y.dims[0] !== count) {
    throw invalid(where, `images [n, h, w] and labels [n] in ${JSON.stringify(folder)}`, `dims [${x.dims.join(", ")}] and [${y.dims.join(", ")}]`);
  }
  return { images: x.data, labels: y.data, imageDims };
}

/** Reads all four files of `folder`, each checked by `verify` before it is parsed. */
export async function readFashionMnistFolder(where: string, folder: string, verify: Verify): Promise<RawFashionMnist> {
  const [train, test] = await Promise.all([
    readPair(where, folder, "trainImages", "trainLabels", verify),
    readPair(where, folder, "testImages", "testLabels", verify),
  ]);
  return { train, test };
}

/** Verification for the full set: the decompressed contents must be the official ones. */
export function officialContents(where: string): Verify {
  return (key, path, _fileBytes, contents) => expectSha256(contents, FASHION_MNIST_SHA256[key], where, `the contents of ${JSON.stringify(path)}`);
}
