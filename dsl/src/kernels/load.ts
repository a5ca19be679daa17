import { checkOneOf, checkPositiveInt } from "../validate.js";
import { createAddonKernels } from "./addon.js";
import { createJsKernels } from "./js.js";
import { KERNEL_NAMES, type KernelName, type Kernels } from "./types.js";
import { createWasmKernels } from "./wasm.js";

export interface LoadKernelsOptions {
  /**
   * The implementation to try first; the loader falls back down the list addon → wasm → js, never
   * up (so `prefer: "wasm"` never loads the addon, and `"js"` always gives JS). Default: the
   * `SPARSELAB_KERNELS` environment variable, else "addon".
   */
  readonly prefer?: KernelName;
  /**
   * Threads: default the `SPARSELAB_KERNEL_THREADS` environment variable (a sweep sets it so its
   * workers share the cores), else min(2, cores) for the addon and 1 for WASM (more use worker threads).
   */
  readonly threads?: number;
  /** Overrides of the prebuilt paths (tests use them to simulate a missing build). */
  readonly addonPath?: string | URL;
  readonly wasmPath?: string | URL;
  /** WASM linear memory in MB (default 128). */
  readonly memoryMB?: number;
}

/**
 * The fastest kernel set that works here: the N-API addon when its prebuilt loads on a CPU with
 * AVX2/FMA, else WebAssembly SIMD, else plain JS. Never throws for a missing or broken build:
 * `kernels.info` says which implementation is active and why the others were skipped.
 */
export function loadKernels(options: LoadKernelsOptions = {}): Kernels {
  const fromEnv = process.env.SPARSELAB_KERNELS;
  const first = options.prefer !== undefined
    ? checkOneOf("loadKernels", "prefer", options.prefer, KERNEL_NAMES)
    : fromEnv ? checkOneOf("loadKernels", "SPARSELAB_KERNELS", fromEnv, KERNEL_NAMES) : "addon";
  const reason = options.prefer !== undefined ? "requested" : fromEnv ? "SPARSELAB_KERNELS" : "best available";
  const threadsFromEnv = process.env.SPARSELAB_KERNEL_THREADS;
  const threads = options.threads ?? (threadsFromEnv === undefined ? undefined : checkPositiveInt("loadKernels", "SPARSELAB_KERNEL_THREADS", Number(threadsFromEnv)));
  const skipped: string[] = [];
  for (const name of KERNEL_NAMES.slice(KERNEL_NAMES.indexOf(first))) {
    const how = { reason: skipped.length === 0 ? reason : "best available", skipped };
    try {
      if (name === "addon") return createAddonKernels({ path: options.addonPath, threads }, how);
      if (name === "wasm") return createWasmKernels({ path: options.wasmPath, memoryMB: options.memoryMB, threads }, how);
      return createJsKernels(how);
    } catch (error) {
      skipped.push(`${name}: ${(error as Error).message}`);
    }
  }
  /* c8 ignore next */
  return createJsKernels({ reason: "best available", skipped });
}

let shared: Kernels | undefined;

/** One process-wide default kernel set (`loadKernels()` on first use). */
export function defaultKernels(): Kernels {
  shared ??= loadKernels();
  return shared;
}
