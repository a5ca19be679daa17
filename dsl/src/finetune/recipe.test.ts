import { beforeAll, describe, expect, it } from "vitest";
import { fashionMnist } from "@sparselab/datasets";
import { useBackend } from "../backend/index.js";
import { buildNet, parseNetSpec } from "../nets/index.js";
import type { Net } from "../nets/index.js";
import { adam } from "../train/optimizers.js";
import { finetune, type FinetuneRecipe } from "./plan.js";
import { pretrainedVit } from "./pretrained.js";
import { fromRecipe } from "./recipe.js";
import { task, type Task } from "./tasks.js";
import { tinyTask, tinyVit } from "./testing.js";

let pre: Net;
let target: Task;
let source: Task;

beforeAll(async () => {
  await useBackend({ backend: "cpu" });
  pre = await pretrainedVit();
  const data = await fashionMnist({ source: "embedded", pixels: "unit" });
  target = task(data, { classes: [5, 6, 7], trainPerClass: 12, testPerClass: 6, seed: 3 });
  source = task(data, { classes: [0, 1], domain: "inverted", trainPerClass: 4, testPerClass: 5 });
});

const recipeOf = () => finetune(pre, { task: target, steps: 3, batchSize: 8, optimizer: adam(0.01), evaluate: { source } }).s2ft({ heads: 1, channels: 4 }).toJSON();

describe("fine-tuning recipes", () => {
  it("rebuild the same plan from JSON, and running both gives the same delta and metrics", async () => {
    const recipe = JSON.parse(JSON.stringify(recipeOf())) as FinetuneRecipe;
    expect(recipe.base).toBe(pre.fingerprint());
    expect(recipe.task.origin).toMatchObject({ data: { source: "embedded", pixels: "unit" }, trainPerClass: 12, testPerClass: 6, seed: 3 });
    const rebuilt = await fromRecipe(recipe, { base: pre });
    expect(rebuilt.toJSON()).toEqual(recipe);
    const [a, b] = [await finetune(pre, { task: target, steps: 3, batchSize: 8, optimizer: adam(0.01), evaluate: { source } }).s2ft({ heads: 1, channels: 4 }).run(), await rebuilt.run()];
    expect(b.metrics.testAccuracy).toBe(a.metrics.testAccuracy);
    expect(b.metrics.evaluations.source.accuracy).toBe(a.metrics.evaluations.source.accuracy);
    expect([...b.delta.encode()]).toEqual([...a.delta.encode()]);
  });

  it("refuse a base whose weights differ from the recipe's", async () => {
    const other = buildNet(parseNetSpec(pre.family, 7));
    try {
      await expect(fromRecipe(recipeOf(), { base: other })).rejects.toThrow(/finetune\.fromRecipe\(recipe\.base\).*fingerprint/s);
    } finally {
      other.dispose();
    }
    await expect(fromRecipe(recipeOf(), { base: tinyVit(1) })).rejects.toThrow(/recipe\.net.*family/s);
  });

  it("check the task's examples: other sizes, a task without an origin, unknown keys", async () => {
    const recipe = recipeOf();
    await expect(fromRecipe({ ...recipe, task: { ...recipe.task, sizes: { ...recipe.task.sizes, train: 99 } } }, { base: pre })).rejects.toThrow(/recipe\.task\.sizes/);
    const tiny = finetune(tinyVit(1), { task: tinyTask(), steps: 2 }).full().toJSON();
    await expect(fromRecipe(tiny, { base: tinyVit(1) })).rejects.toThrow(/recipe\.task\.origin/);
    await expect(fromRecipe({ ...recipe, extra: 1 }, { base: pre })).rejects.toThrow(/recipe.*extra/s);
    await expect(fromRecipe({ ...recipe, method: "dora" }, { base: pre })).rejects.toThrow(/recipe\.method.*"dora"/s);
    await expect(fromRecipe({ ...recipe, config: { heads: 1 } }, { base: pre })).rejects.toThrow(/channels/);
  });
});
