#!/usr/bin/env node
/**
 * Pretrains the tiny ViT that sparselab's fine-tuning experiments start from, and writes it to
 * data/vit-pretrained/ as a `.slckpt` checkpoint plus a manifest (recipe, metrics, SHA-256):
 *
 *   npm run build && node datasets/scripts/pretrain-vit.mjs [--steps N] [--out FOLDER]
 *
 * Recipe: ViT 28×28×1, 7×7 patches (16 tokens), d 32, 4 heads, FFN 64, 2 blocks, mean pooling,
 * 10-way head; trained on Fashion-MNIST classes 0–4 (T-shirt, trouser, pullover, dress, coat),
 * original pixels, loss over those 5 classes only (head columns 5–9 keep their initial values);
 * AdamW (lr 2e-3, weight decay 0.05), cosine schedule with 100 warmup steps, batch 64, seed 1.
 * The full 60k set is used when this machine has it (the manifest records which).
 *
 * It imports the built DSL (dsl/dist) by path: the datasets package itself does not depend on
 * the DSL, only this script does.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import * as sl from "../../dsl/dist/index.js";

const { values } = parseArgs({ options: { steps: { type: "string" }, out: { type: "string" }, source: { type: "string" } } });
const OUT = values.out ?? join(dirname(fileURLToPath(import.meta.url)), "../data/vit-pretrained");
const FILE = sl.finetune.PRETRAINED_VIT_FILE;
const SEED = 1;
const STEPS = values.steps ? Number(values.steps) : 3000;
const started = Date.now();

const backend = await sl.useBackend();
const tasks = await sl.finetune.fashionTasks({ source: values.source ?? "auto" });
const init = sl.vit({ seed: SEED });
const recipe = {
  net: init.family, seed: SEED, data: { name: "fashion-mnist", classes: [...tasks.source.classes], domain: "original", train: tasks.source.train.size },
  optimizer: sl.adamw(2e-3, { weightDecay: 0.05 }), schedule: sl.cosineLr({ warmup: 100 }), batchSize: 64, steps: STEPS,
};
let last = Date.now();
const result = await init.finetune({
  task: tasks.source, steps: STEPS, batchSize: recipe.batchSize, optimizer: recipe.optimizer, schedule: recipe.schedule, seed: SEED,
  evaluate: { newClasses: tasks.newClasses, shifted: tasks.shifted, transfer: tasks.transfer },
}).full().run({
  onEvent: (e) => {
    if (e.type === "step" && (e.step % 250 === 0 || Date.now() - last > 30_000)) {
      last = Date.now();
      process.stderr.write(`step ${e.step}/${STEPS}: loss ${e.loss.toFixed(4)} (${((Date.now() - started) / 1000).toFixed(0)}s)\n`);
    }
  },
});
const pre = result.tuned();
const metrics = {
  sourceTestAccuracy: result.metrics.testAccuracy,
  sourceValAccuracy: result.metrics.valAccuracy,
  newClassesTestAccuracy: result.metrics.evaluations.newClasses.accuracy,
  shiftedTestAccuracy: result.metrics.evaluations.shifted.accuracy,
  transferTestAccuracy: result.metrics.evaluations.transfer.accuracy,
};
mkdirSync(OUT, { recursive: true });
const path = join(OUT, FILE);
await sl.saveCheckpoint(path, pre, sl.MaskSet.dense(pre.prunable), { recipe, metrics });
const bytes = readFileSync(path);
const manifest = {
  file: FILE,
  sha256: createHash("sha256").update(bytes).digest("hex"),
  bytes: bytes.length,
  family: pre.family,
  spec: pre.spec,
  recipe: { ...recipe, data: { ...recipe.data, source: tasks.data } },
  metrics,
  backend: backend.name,
  seconds: Math.round((Date.now() - started) / 1000),
  script: "datasets/scripts/pretrain-vit.mjs",
};
writeFileSync(join(OUT, "manifest.json"), JSON.stringify(manifest, null, 1) + "\n");
console.log(JSON.stringify({ path, ...manifest }, null, 1));
