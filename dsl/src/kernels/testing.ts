import { createAddonKernels } from "./addon.js";
import { createJsKernels } from "./js.js";
import type { KernelName, Kernels } from "./types.js";
import { createWasmKernels } from "./wasm.js";

/** Every implementation that loads here: addon, wasm, wasm on 2 threads, js (js always). */
export function availableKernels(): Kernels[] {
  const out: Kernels[] = [];
  const tries: [KernelName, () => Kernels][] = [
    ["addon", () => createAddonKernels()],
    ["wasm", () => createWasmKernels()],
    ["wasm", () => createWasmKernels({ threads: 2 })],
    ["js", () => createJsKernels()],
  ];
  for (const [, create] of tries) {
    try {
      out.push(create());
    } catch {
      // not available here
    }
  }
  return out;
}

/** A small deterministic PRNG (mulberry32) for test and benchmark data. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform values in [-1, 1) into a (kernel-owned) array. */
export function fillRandom<T extends Float32Array>(array: T, random: () => number): T {
  for (let i = 0; i < array.length; i++) array[i] = random() * 2 - 1;
  return array;
}

/** A 0/1 mask with exactly round(density·total) ones at random positions. */
export function randomMask(total: number, density: number, random: () => number): Uint8Array {
  const kept = Math.round(density * total);
  const order = new Int32Array(total);
  for (let i = 0; i < total; i++) order[i] = i;
  const bits = new Uint8Array(total);
  for (let i = 0; i < kept; i++) {
    const j = i + Math.floor(random() * (total - i));
    const t = order[j];
    order[j] = order[i];
    order[i] = t;
    bits[t] = 1;
  }
  return bits;
}

/** "addon×2", "wasm", "wasm×2", "js": an implementation and its thread count. */
export function kernelLabel(k: Kernels): string {
  return k.threads > 1 ? `${k.name}×${k.threads}` : k.name;
}
