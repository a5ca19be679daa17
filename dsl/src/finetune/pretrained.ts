/**
 * The small pretrained ViT shipped with @sparselab/datasets (written by
 * datasets/scripts/pretrain-vit.mjs): pretrained on Fashion-MNIST classes 0–4, original pixels.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createHash } from "node:crypto";
import { argError, SparselabError } from "../errors.js";
import { decodeCheckpoint } from "../io/checkpoint.js";
import type { Net } from "../nets/index.js";
import { checkKnownKeys, checkPlainObject } from "../validate.js";

export const PRETRAINED_VIT_FILE = "vit-fmnist-0to4.slckpt";

export interface PretrainedManifest {
  readonly file: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly family: string;
  readonly spec: Readonly<Record<string, unknown>>;
  /** The recipe the script ran: data, classes, optimizer, steps… */
  readonly recipe: Readonly<Record<string, unknown>>;
  /** Accuracy on the pretraining task's test split (over its classes) and others. */
  readonly metrics: Readonly<Record<string, number>>;
}

/** datasets/data/vit-pretrained/ next to the installed @sparselab/datasets. */
export function pretrainedVitFolder(): string {
  const entry = createRequire(import.meta.url).resolve("@sparselab/datasets");
  return join(dirname(entry), "..", "data", "vit-pretrained");
}

export async function pretrainedVitManifest(options: { folder?: string } = {}): Promise<PretrainedManifest> {
  const folder = options.folder ?? pretrainedVitFolder();
  const path = join(folder, "manifest.json");
  try {
    return JSON.parse(await readFile(path, "utf8")) as PretrainedManifest;
  } catch (error) {
    throw new SparselabError(`pretrainedVitManifest(folder): expected a readable manifest at ${JSON.stringify(path)} ` +
      `(run node datasets/scripts/pretrain-vit.mjs to create it), received ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Loads the pretrained tiny ViT (verifying the file against its manifest's SHA-256):
 * `const pre = await sl.finetune.pretrainedVit(); pre.finetune({...}).s2ft({...}).run()`.
 */
export async function pretrainedVit(options: { folder?: string } = {}): Promise<Net> {
  const o = checkPlainObject("pretrainedVit", "options", options);
  checkKnownKeys("pretrainedVit", "options", o, ["folder"]);
  if (o.folder !== undefined && (typeof o.folder !== "string" || o.folder === "")) throw argError("pretrainedVit", "folder", "a folder path", o.folder);
  const folder = options.folder ?? pretrainedVitFolder();
  const manifest = await pretrainedVitManifest({ folder });
  const path = join(folder, manifest.file);
  const bytes = await readFile(path);
  const sha = createHash("sha256").update(bytes).digest("hex");
  if (sha !== manifest.sha256) {
    throw new SparselabError(`pretrainedVit(): expected ${manifest.file} with SHA-256 ${manifest.sha256} (as its manifest says), received ${sha}`);
  }
  return decodeCheckpoint(bytes, `pretrainedVit(${JSON.stringify(path)})`).net;
}
