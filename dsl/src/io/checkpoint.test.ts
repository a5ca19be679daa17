import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "@sparselab/datasets";
import { describe, expect, it } from "vitest";
import { Mask, MaskSet } from "../masks/index.js";
import { mlp } from "../nets/index.js";
import { decodeCheckpoint, encodeCheckpoint, loadCheckpoint, saveCheckpoint } from "./checkpoint.js";

const dir = mkdtempSync(join(tmpdir(), "sparselab-ckpt-"));

function sparseNet() {
  const net = mlp([12, 8, 3], { seed: 4 });
  const rng = new Rng(2);
  const masks = MaskSet.from(net.prunable.map((t) => [t.name, Mask.random(t.shape, Math.floor(t.shape[0] * t.shape[1] / 3), rng)]));
  return { net, masks };
}

describe("checkpoints", () => {
  it("round-trip the spec, every weight, the masks and the metadata exactly", async () => {
    const { net, masks } = sparseNet();
    const path = join(dir, "a.slckpt");
    await saveCheckpoint(path, net, masks, { step: 42, note: "x" });
    const back = await loadCheckpoint(path);
    expect(back.net.spec).toEqual(net.spec);
    for (const [name, w] of net.snapshot()) expect(back.net.snapshot().get(name)).toEqual(w);
    expect(back.masks.equals(masks)).toBe(true);
    expect(back.meta).toEqual({ step: 42, note: "x" });
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    net.dispose();
    back.net.dispose();
  });

  it("refuses a flipped byte, a truncated file and a foreign file, naming the file", async () => {
    const { net, masks } = sparseNet();
    const bytes = encodeCheckpoint(net, masks);
    const flipped = Uint8Array.from(bytes);
    flipped[40] ^= 1;
    expect(() => decodeCheckpoint(flipped)).toThrow(/not a valid sparselab checkpoint \(checksum mismatch: truncated or corrupted\)/);
    const truncated = join(dir, "t.slckpt");
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 9));
    await expect(loadCheckpoint(truncated)).rejects.toThrow(/^loadCheckpoint\(".*t\.slckpt"\): not a valid sparselab checkpoint/);
    expect(() => decodeCheckpoint(new TextEncoder().encode("SLMASK and then some bytes"))).toThrow(/bad magic/);
    await expect(loadCheckpoint(join(dir, "missing.slckpt"))).rejects.toThrow(/^loadCheckpoint\(path\): expected a readable file, received ".*missing\.slckpt"/);
    net.dispose();
  });

  it("refuses masks that do not fit the net, before writing anything", async () => {
    const { net } = sparseNet();
    const wrong = MaskSet.from([["fc1.kernel", Mask.dense([3, 3])]]);
    const path = join(dir, "wrong.slckpt");
    await expect(saveCheckpoint(path, net, wrong)).rejects.toThrow(/fc1\.kernel|fc2\.kernel/);
    expect(() => readFileSync(path)).toThrow(/ENOENT/);
    net.dispose();
  });
});
