/**
 * The embedded subset: a stratified sample of Fashion-MNIST shipped in `data/`, written by
 * `scripts/make-embedded.mjs`. Its manifest records the SHA-256 of every file, so a damaged or
 * hand-edited copy is refused instead of silently training on different data.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { expectSha256 } from "./checksum.js";
import { invalid } from "./errors.js";
import { FASHION_MNIST_FILES, readFashionMnistFolder, type FashionMnistFile, type RawFashionMnist } from "./fashion-mnist-files.js";

export interface EmbeddedManifest {
  readonly name: string;
  readonly seed: number;
  readonly perClass: { readonly train: number; readonly test: number };
  readonly counts: { readonly train: number; readonly test: number };
  /** Per shipped file name: SHA-256 and size of the gzipped file, SHA-256 of its IDX contents. */
  readonly files: Readonly<Record<string, { readonly sha256: string; readonly bytes: number; readonly contentsSha256: string }>>;
}

/** `src/` and `dist/` both sit one level below the package root, next to `data/`. */
export const EMBEDDED_FOLDER = fileURLToPath(new URL("../data/fashion-mnist-embedded/", import.meta.url));

export async function readEmbeddedManifest(folder = EMBEDDED_FOLDER): Promise<EmbeddedManifest> {
  return JSON.parse(await readFile(join(folder, "manifest.json"), "utf8")) as EmbeddedManifest;
}

/** Reads the embedded subset from `folder` (another folder only in tests), verified against its manifest. */
export async function readEmbedded(where: string, folder = EMBEDDED_FOLDER): Promise<RawFashionMnist> {
  const manifest = await readEmbeddedManifest(folder);
  return readFashionMnistFolder(where, folder, (key: FashionMnistFile, path, fileBytes) => {
    const listed = manifest.files[FASHION_MNIST_FILES[key]];
    if (listed === undefined) throw invalid(where, `${FASHION_MNIST_FILES[key]} listed in ${JSON.stringify(join(folder, "manifest.json"))}`, "no entry");
    expectSha256(fileBytes, listed.sha256, where, JSON.stringify(path));
  });
}
