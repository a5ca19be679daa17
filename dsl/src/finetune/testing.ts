/** Small fixtures for tests (and quick experiments): a tiny ViT and a synthetic task that fits it. */
import { Rng } from "@sparselab/datasets";
import type { Net } from "../nets/index.js";
import { vit } from "../nets/vit.js";
import type { Task } from "./tasks.js";

/** 8×8×1 images, 4×4 patches (4 tokens), d 8, 2 heads, FFN 8, `depth` blocks, 4 classes. */
export function tinyVit(seed = 1, depth = 2): Net {
  return vit({ seed, input: [8, 8, 1], patch: 4, dim: 8, heads: 2, mlp: 8, depth, classes: 4 });
}

/**
 * A learnable synthetic task for `tinyVit`: class c brightens row c of every 4×4 patch, plus noise.
 * `classes` chooses which of the 4 classes appear.
 */
export function tinyTask(options: { classes?: number[]; perClass?: number; seed?: number; name?: string } = {}): Task {
  const classes = options.classes ?? [0, 1, 2, 3];
  const perClass = options.perClass ?? 16;
  const rng = Rng.derive(options.seed ?? 0, "tiny-task");
  const split = (n: number) => {
    const size = n * classes.length;
    const x = new Float32Array(size * 64);
    const y = new Int32Array(size);
    for (let i = 0; i < size; i++) {
      const c = classes[i % classes.length];
      y[i] = c;
      for (let p = 0; p < 64; p++) {
        x[i * 64 + p] = (Math.floor(p / 8) % 4 === c ? 1.5 : 0) + 0.5 * rng.normal();
      }
    }
    return { x, y, size };
  };
  return {
    name: options.name ?? `tiny ${classes.join(",")}`, classes, domain: "original", inputShape: [8, 8, 1], features: 64, numClasses: 4,
    train: split(perClass), validation: split(4), test: split(8),
  };
}
