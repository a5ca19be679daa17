import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEFAULT_ADDON_PATH } from "./addon.js";
import { DEFAULT_WASM_MT_PATH, DEFAULT_WASM_PATH } from "./wasm.js";

const NATIVE = fileURLToPath(new URL("../../native/", import.meta.url));

/** The hash dsl/native/build.sh compiles into both prebuilts (same file list, order and framing). */
function sourceHash(): number {
  const files = ["src", "wasm"].flatMap((dir) => readdirSync(NATIVE + dir).filter((f) => /\.[ch]$/.test(f) && !(dir === "wasm" && f.endsWith(".h"))).map((f) => `${dir}/${f}`));
  files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)); // LC_ALL=C sort
  const h = createHash("sha256");
  for (const f of files) h.update(`${f}\n`).update(readFileSync(NATIVE + f));
  return parseInt(h.digest("hex").slice(0, 8), 16);
}

describe("committed prebuilts", () => {
  it.each([[DEFAULT_WASM_PATH, false], [DEFAULT_WASM_MT_PATH, true]] as const)("%s was built from the current native sources (else run sh dsl/native/build.sh)", (path, shared) => {
    const module = new WebAssembly.Module(readFileSync(path));
    const memory = new WebAssembly.Memory({ initial: 16, maximum: 16, shared });
    const { exports } = new WebAssembly.Instance(module, { env: { memory } });
    expect((exports.source_hash as () => number)() >>> 0).toBe(sourceHash());
  });

  it.runIf(process.platform === "linux" && process.arch === "x64")("the linux-x64 .node was built from the current native sources", () => {
    const binding = createRequire(import.meta.url)(fileURLToPath(DEFAULT_ADDON_PATH)) as { sourceHash: number };
    expect(binding.sourceHash).toBe(sourceHash());
  });
});
