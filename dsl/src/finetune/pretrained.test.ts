import { copyFile, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../backend/index.js";
import { bodyTensors } from "./context.js";
import { thresholdFor } from "./index.js";
import { PRETRAINED_VIT_FILE, pretrainedVit, pretrainedVitFolder, pretrainedVitManifest } from "./pretrained.js";

beforeAll(async () => {
  await useBackend({ backend: "cpu" });
});

describe("the shipped pretrained ViT", () => {
  it("loads in well under a second, verified against its manifest", async () => {
    const started = Date.now();
    const pre = await pretrainedVit();
    expect(Date.now() - started).toBeLessThan(3000);
    const manifest = await pretrainedVitManifest();
    expect(pre.family).toBe(manifest.family);
    expect(pre.family).toBe("vit:28x28x1:p7-d32-h4-f64-l2-c10");
    expect(manifest.bytes).toBeLessThan(1_000_000);
    expect(manifest.recipe).toMatchObject({ data: { classes: [0, 1, 2, 3, 4] } });
    expect(manifest.metrics.sourceTestAccuracy).toBeGreaterThan(0.85);
    // SaRA's threshold helper: exactly round(f·N) body entries lie below it.
    const threshold = thresholdFor(pre, 0.05);
    const w = pre.snapshot();
    const body = bodyTensors(pre);
    const total = body.reduce((n, t) => n + w.get(t.name)!.length, 0);
    const below = body.reduce((n, t) => n + w.get(t.name)!.filter((v) => Math.abs(v) < threshold).length, 0);
    expect(below).toBe(Math.round(0.05 * total));
    expect(() => thresholdFor(pre, 1)).toThrow(/^thresholdFor\(fraction\): expected a number in \(0, 1\), received 1$/);
    pre.dispose();
  });

  it("refuses a checkpoint that does not match its manifest", async () => {
    const folder = await mkdtemp(join(tmpdir(), "vit-pretrained-"));
    await copyFile(join(pretrainedVitFolder(), "manifest.json"), join(folder, "manifest.json"));
    const bytes = new Uint8Array(await readFile(join(pretrainedVitFolder(), PRETRAINED_VIT_FILE)));
    bytes[100] ^= 1;
    await writeFile(join(folder, PRETRAINED_VIT_FILE), bytes);
    await expect(pretrainedVit({ folder })).rejects.toThrow(/^pretrainedVit\(\): expected vit-fmnist-0to4\.slckpt with SHA-256 [0-9a-f]{64} \(as its manifest says\), received [0-9a-f]{64}$/);
    await expect(pretrainedVit({ folder: join(folder, "nope") })).rejects.toThrow(/^pretrainedVitManifest\(folder\): expected a readable manifest at .*run node datasets\/scripts\/pretrain-vit\.mjs/);
  });
});
