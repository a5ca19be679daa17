import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../backend/index.js";
import { mlp } from "../nets/index.js";
import { compose, SparseDelta } from "./delta.js";
import { DeltaSwitch } from "./switch.js";
import { tinyVit } from "./testing.js";

beforeAll(async () => {
  await useBackend({ backend: "cpu" });
});

const entries = (shape: number[], indices: number[], values: number[]) => ({ shape, indices: Int32Array.from(indices), values: Float32Array.from(values) });

describe("SparseDelta", () => {
  it("apply then revert restores the base weights exactly, even where float addition is not invertible", () => {
    const net = tinyVit();
    const base = net.snapshot();
    // 1e-8 + 1 rounds to 1 in float32, so subtracting 1 again cannot give 1e-8 back.
    const w = Float32Array.from(base.get("block1.attn.q.kernel")!);
    w[3] = 1e-8;
    net.load(new Map(base).set("block1.attn.q.kernel", w));
    const before = net.snapshot();
    const delta = SparseDelta.from(net.family, [
      ["block1.attn.q.kernel", entries([8, 8], [3, 10, 63], [1, -0.25, 3.5])],
      ["head.bias", entries([4], [2], [0.5])],
    ]);
    const applied = delta.apply(net);
    expect(net.snapshot().get("head.bias")![2]).toBeCloseTo(before.get("head.bias")![2] + 0.5, 6);
    applied.revert();
    for (const [name, v] of net.snapshot()) expect(v).toEqual(before.get(name));
    expect(() => applied.revert()).toThrow(/already reverted/);
    // Arithmetic revert subtracts: close, but not bit-exact at the ill-conditioned entry.
    delta.apply(net);
    delta.revert(net);
    expect(net.snapshot().get("block1.attn.q.kernel")![3]).not.toBe(before.get("block1.attn.q.kernel")![3]);
    expect(net.snapshot().get("block1.attn.q.kernel")![10]).toBeCloseTo(before.get("block1.attn.q.kernel")![10], 6);
    net.dispose();
  });

  it("composing deltas with disjoint supports equals applying them in sequence; overlapping entries add", () => {
    const pre = tinyVit();
    const a = SparseDelta.from(pre.family, [["block1.ffn.up.kernel", entries([8, 8], [0, 5, 9], [0.1, 0.2, 0.3])]], { task: "a" });
    const b = SparseDelta.from(pre.family, [
      ["block1.ffn.up.kernel", entries([8, 8], [1, 6], [-0.4, 0.5])],
      ["block2.attn.o.kernel", entries([8, 8], [7], [0.7])],
    ], { task: "b" });
    expect(a.overlap(b)).toEqual({ shared: 0, union: 6, iou: 0 });
    expect(a.support().and(b.support([{ name: "block1.ffn.up.kernel", shape: [8, 8] }])).report().overall.kept).toBe(0);
    const sequential = pre.clone();
    a.apply(sequential);
    b.apply(sequential);
    const composed = compose(a, b).applyTo(pre);
    for (const [name, v] of sequential.snapshot()) expect(composed.snapshot().get(name)).toEqual(v);
    expect(compose(a, b).nnz).toBe(6);
    // The base is untouched by applyTo.
    for (const [name, v] of pre.snapshot()) expect(v).toEqual(tinyVit().snapshot().get(name));
    const c = SparseDelta.from(pre.family, [["block1.ffn.up.kernel", entries([8, 8], [5], [1])]]);
    const sum = a.add(c).tensors.get("block1.ffn.up.kernel")!;
    expect(Array.from(sum.indices)).toEqual([0, 5, 9]);
    expect(sum.values[1]).toBeCloseTo(1.2, 6);
    expect(a.overlap(c)).toEqual({ shared: 1, union: 3, iou: 1 / 3 });
    [pre, sequential, composed].forEach((n) => n.dispose());
  });

  it("refuses a delta for a different architecture, with the two families named", () => {
    const vitNet = tinyVit();
    const other = mlp([64, 8, 4], { seed: 1 });
    const delta = SparseDelta.from(vitNet.family, [["head.bias", entries([4], [0], [1])]]);
    const mlpDelta = SparseDelta.from(other.family, [["fc1.bias", entries([8], [0], [1])]]);
    expect(() => delta.apply(other)).toThrow(/^SparseDelta\.apply\(net\): expected a net of family "vit:8x8x1:p4-d8-h2-f8-l2-c4" \(the delta's architecture\), received "mlp:64-8-4"$/);
    expect(() => delta.applyTo(other)).toThrow(/^SparseDelta\.applyTo\(net\): expected a net of family "vit:8x8x1/);
    expect(() => compose(delta, mlpDelta)).toThrow(/^compose\(deltas\[1\]\): expected a delta for "vit:8x8x1:p4-d8-h2-f8-l2-c4" \(as deltas\[0\]\), received one for "mlp:64-8-4"$/);
    expect(() => delta.add(mlpDelta)).toThrow(/^SparseDelta\.add\(other\): expected a delta for "vit:8x8x1.*", received one for "mlp:64-8-4"$/);
    expect(() => new DeltaSwitch(other, { task: delta })).toThrow(/^DeltaSwitch\(deltas\.task\): expected a delta for "mlp:64-8-4", received one for "vit:8x8x1/);
    expect(() => compose()).toThrow(/^compose\(deltas\): expected at least one SparseDelta, received \[\]$/);
    vitNet.dispose();
    other.dispose();
  });

  it("validates entries: in range, sorted, unique, one value each", () => {
    const f = "vit:x";
    expect(() => SparseDelta.from(f, [["w", entries([2, 2], [0, 4], [1, 1])]])).toThrow(/^SparseDelta\.from\(tensors\["w"\]\.indices\[1\]\): expected an index in \[0, 4\), received 4$/);
    expect(() => SparseDelta.from(f, [["w", entries([4], [2, 1], [1, 1])]])).toThrow(/sorted unique indices \(after 2\), received 1$/);
    expect(() => SparseDelta.from(f, [["w", entries([4], [1, 1], [1, 1])]])).toThrow(/sorted unique indices/);
    expect(() => SparseDelta.from(f, [["w", entries([4], [1], [1, 2])]])).toThrow(/^SparseDelta\.from\(tensors\["w"\]\.values\): expected 1 values \(one per index\)/);
    expect(() => SparseDelta.from("", [])).toThrow(/^SparseDelta\.from\(family\): expected a net family/);
  });

  it("serialises with a checksum, atomically; corruption and truncation are refused", async () => {
    const net = tinyVit();
    const delta = SparseDelta.from(net.family, [
      ["block1.attn.q.kernel", entries([8, 8], [3, 10, 63], [1, -0.25, 3.5])],
      ["head.bias", entries([4], [2], [0.5])],
    ], { method: "test", budget: 4 });
    const back = SparseDelta.decode(delta.encode());
    expect(back.family).toBe(delta.family);
    expect(back.meta).toEqual({ method: "test", budget: 4 });
    for (const [name, t] of delta.tensors) {
      expect(back.tensors.get(name)!.indices).toEqual(t.indices);
      expect(back.tensors.get(name)!.values).toEqual(t.values);
      expect(back.tensors.get(name)!.shape).toEqual(t.shape);
    }
    const dir = await mkdtemp(join(tmpdir(), "sldelta-"));
    const path = join(dir, "task.sldelta");
    await delta.save(path);
    expect((await SparseDelta.load(path)).nnz).toBe(4);
    const bytes = new Uint8Array(await readFile(path));
    bytes[bytes.length - 10] ^= 0xff;
    await writeFile(path, bytes);
    await expect(SparseDelta.load(path)).rejects.toThrow(/^SparseDelta\.load\(".*task\.sldelta"\): expected checksum 0x[0-9a-f]{8}, received data with checksum 0x[0-9a-f]{8} \(truncated or corrupted\)$/);
    expect(() => SparseDelta.decode(delta.encode().subarray(0, 20))).toThrow(/expected checksum/);
    expect(() => SparseDelta.decode(new TextEncoder().encode("SLMASK\x01\x00garbage-garbage"))).toThrow(/expected a sparselab delta file \(starting with "SLDLTA"\)/);
    await expect(SparseDelta.load(join(dir, "missing.sldelta"))).rejects.toThrow(/^SparseDelta\.load\(path\): expected a readable file, received ".*missing\.sldelta"/);
    net.dispose();
  });

  it("DeltaSwitch fuses one delta at a time and returns to the exact base", () => {
    const net = tinyVit();
    const base = net.snapshot();
    const a = SparseDelta.from(net.family, [["block1.ffn.down.kernel", entries([8, 8], [0, 1], [0.5, 0.5])]]);
    const b = SparseDelta.from(net.family, [["block1.ffn.down.kernel", entries([8, 8], [1, 2], [-1, 2])]]);
    const sw = new DeltaSwitch(net, { a, b });
    sw.use("a");
    expect(sw.active).toBe("a");
    sw.use("b");
    const w = net.snapshot().get("block1.ffn.down.kernel")!;
    expect(w[0]).toBe(base.get("block1.ffn.down.kernel")![0]);
    expect(w[2]).toBeCloseTo(base.get("block1.ffn.down.kernel")![2] + 2, 6);
    sw.use(undefined);
    for (const [name, v] of net.snapshot()) expect(v).toEqual(base.get(name));
    expect(() => sw.use("c")).toThrow(/^DeltaSwitch\.use\(name\): expected one of "a", "b", received "c"$/);
    net.dispose();
  });
});
