import { afterEach, describe, expect, it, vi } from "vitest";
import { SparselabError } from "../errors.js";
import { loadKernels } from "./load.js";
import { createWasmKernels, WasmHeap } from "./wasm.js";
import type { Kernels } from "./types.js";

const created: Kernels[] = [];
const load = (...args: Parameters<typeof loadKernels>) => {
  const k = loadKernels(...args);
  created.push(k);
  return k;
};
afterEach(() => {
  vi.unstubAllEnvs();
  created.splice(0).forEach((k) => k.dispose());
});

describe("loadKernels", () => {
  it("prefers the addon, and says why it chose what it chose", () => {
    vi.stubEnv("SPARSELAB_KERNELS", "");
    const k = load();
    expect(["addon", "wasm"]).toContain(k.name); // js only if both prebuilts fail
    expect(k.info.reason).toBe("best available");
    if (k.name === "addon") {
      expect(k.threads).toBeGreaterThanOrEqual(1);
      expect(k.info.detail).toMatch(/AVX2/);
    } else {
      expect(k.info.skipped[0]).toMatch(/^addon: /);
    }
  });

  it("honours prefer and falls back downwards only", () => {
    expect(load({ prefer: "js" }).name).toBe("js");
    const wasm = load({ prefer: "wasm" });
    expect(wasm.name).toBe("wasm");
    expect(wasm.info).toMatchObject({ reason: "requested", skipped: [] });
    expect(wasm.threads).toBe(1);
  });

  it("honours SPARSELAB_KERNELS, and rejects unknown names", () => {
    vi.stubEnv("SPARSELAB_KERNELS", "js");
    expect(load().info).toMatchObject({ name: "js", reason: "SPARSELAB_KERNELS" });
    vi.stubEnv("SPARSELAB_KERNELS", "cuda");
    expect(() => load()).toThrow(/SPARSELAB_KERNELS/);
    expect(() => load({ prefer: "gpu" as never })).toThrow(SparselabError);
  });

  it("takes its thread count from SPARSELAB_KERNEL_THREADS unless given, and rejects a bad value", () => {
    vi.stubEnv("SPARSELAB_KERNELS", "addon");
    vi.stubEnv("SPARSELAB_KERNEL_THREADS", "1");
    const one = load();
    expect(one.threads).toBe(1);
    const two = load({ threads: 2 });
    expect(two.threads).toBe(2);
    vi.stubEnv("SPARSELAB_KERNEL_THREADS", "0");
    expect(() => load()).toThrow(/^loadKernels\(SPARSELAB_KERNEL_THREADS\): expected a positive integer, received 0$/);
    [one, two].forEach((k) => k.dispose());
  });

  it("falls back to WASM when the .node is missing, and to JS when the .wasm is missing too", () => {
    const noAddon = load({ prefer: "addon", addonPath: "/nonexistent/spkernels.node" });
    expect(noAddon.name).toBe("wasm");
    expect(noAddon.info.skipped).toEqual([expect.stringMatching(/^addon: no prebuilt addon at \/nonexistent/)]);
    expect(noAddon.info.reason).toBe("best available");
    const neither = load({ addonPath: "/nonexistent/a.node", wasmPath: "/nonexistent/k.wasm" });
    expect(neither.name).toBe("js");
    expect(neither.info.skipped).toHaveLength(2);
    expect(neither.info.skipped[1]).toMatch(/^wasm: /);
  });

  it("falls back when the .node exists but is not a loadable library", () => {
    const k = load({ addonPath: new URL("./load.test.ts", import.meta.url) });
    expect(k.name).toBe("wasm");
    expect(k.info.skipped[0]).toMatch(/^addon: the prebuilt addon does not load/);
  });

  it("disposed kernels refuse work", () => {
    const k = loadKernels({ prefer: "js" });
    k.dispose();
    expect(() => k.gemm(1, 1, 1, new Float32Array(1), new Float32Array(1), new Float32Array(1))).toThrow(/disposed/);
  });
});

describe("kernel argument checks", () => {
  it("names the call and the argument", () => {
    const k = load({ prefer: "js" });
    const f = (n: number) => new Float32Array(n);
    expect(() => k.gemm(2, 2, 2, f(3), f(4), f(4))).toThrow(/kernels\.gemm\(a\): expected a Float32Array of at least 4/);
    expect(() => k.gemm(2, 2, 2, f(4), f(4), f(4), { lda: 1 })).toThrow(/kernels\.gemm\(lda\)/);
    expect(() => k.gemm(-1, 2, 2, f(4), f(4), f(4))).toThrow(/kernels\.gemm\(m\)/);
    const shared = f(8);
    expect(() => k.gemm(2, 2, 2, shared.subarray(0, 4), f(4), shared.subarray(2, 6))).toThrow(/overlaps input a/);
  });
});

describe("WASM memory", () => {
  it("hands out arrays in its memory, reuses freed blocks, and falls back to heap arrays when full", () => {
    const k = createWasmKernels({ memoryMB: 1 });
    created.push(k);
    const a = k.allocFloat32(1000);
    expect(k.owns(a)).toBe(true);
    k.free(a);
    const b = k.allocFloat32(1000);
    expect(b.byteOffset).toBe(a.byteOffset);
    const big = k.allocFloat32(2 ** 20); // 4 MB > 1 MB memory
    expect(k.owns(big)).toBe(false);
    // the kernels still work on it (copied in and out), until the staging area itself does not fit
    expect(() => k.gemm(1024, 1024, 1, new Float32Array(1024), new Float32Array(1024), big)).toThrow(/out of memory/);
  });

  it("coalesces freed neighbours", () => {
    const heap = new WasmHeap(new WebAssembly.Memory({ initial: 1, maximum: 1 }), 0);
    const total = heap.available;
    const blocks = [100, 200, 300].map((n) => heap.reserve(n));
    heap.release(blocks[1]);
    heap.release(blocks[0]);
    heap.release(blocks[2]);
    expect(heap.available).toBe(total);
    expect(heap.reserve(total)).toBe(0);
  });
});
