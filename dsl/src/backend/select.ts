import * as tf from "@tensorflow/tfjs";
import { createRequire } from "node:module";
import { checkOneOf } from "../validate.js";
import { registerWasmGradients } from "./wasm-gradients.js";

// tfjs's console advice ("install tfjs-node", printed when a net is built before a backend is
// chosen) is for app authors, not our users; production mode also skips tfjs's debug checks.
tf.env().set("PROD", true);

export const BACKENDS = ["tensorflow", "wasm", "cpu"] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendInfo {
  readonly name: BackendName;
  /** Why this backend was chosen: "requested", "SPARSELAB_BACKEND", or "best available". */
  readonly reason: string;
  /** Backends tried before it and why each was skipped. */
  readonly skipped: readonly string[];
}

let active: BackendInfo | undefined;

/** tfjs-node is an optional dependency: its install downloads libtensorflow, which fails offline. */
function loadTensorflowBinding(): boolean {
  try {
    createRequire(import.meta.url)("@tensorflow/tfjs-node");
    return tf.engine().registryFactory["tensorflow"] !== undefined;
  } catch {
    return false;
  }
}

async function tryBackend(name: BackendName): Promise<string | undefined> {
  if (name === "tensorflow" && !loadTensorflowBinding()) return "@tensorflow/tfjs-node is not installed";
  if (name === "wasm") {
    await import("@tensorflow/tfjs-backend-wasm");
    registerWasmGradients();
  }
  try {
    if (await tf.setBackend(name)) return undefined;
    return "setBackend returned false";
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Chooses the tfjs backend: `tensorflow` (native, when @tensorflow/tfjs-node installed) → `wasm`
 * → `cpu`. `options.backend` or the `SPARSELAB_BACKEND` environment variable forces one; a forced
 * backend that cannot start is an error rather than a silent fallback.
 */
export async function useBackend(options: { backend?: BackendName } = {}): Promise<BackendInfo> {
  const fromEnv = process.env.SPARSELAB_BACKEND;
  const requested = options.backend !== undefined
    ? checkOneOf("useBackend", "backend", options.backend, BACKENDS)
    : fromEnv ? checkOneOf("useBackend", "SPARSELAB_BACKEND", fromEnv, BACKENDS) : undefined;
  if (active && (requested === undefined || requested === active.name) && tf.getBackend() === active.name) return active;

  if (requested) {
    const failure = await tryBackend(requested);
    if (failure) throw new Error(`useBackend(backend): "${requested}" could not start: ${failure}`);
    active = { name: requested, reason: options.backend ? "requested" : "SPARSELAB_BACKEND", skipped: [] };
    return active;
  }
  const skipped: string[] = [];
  for (const name of BACKENDS) {
    const failure = await tryBackend(name);
    if (!failure) {
      active = { name, reason: "best available", skipped };
      return active;
    }
    skipped.push(`${name}: ${failure}`);
  }
  throw new Error(`useBackend: no tfjs backend could start (${skipped.join("; ")})`);
}

/** The backend chosen by `useBackend`, or undefined before the first call. */
export function activeBackend(): BackendInfo | undefined {
  return active;
}
