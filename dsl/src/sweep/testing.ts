/** Fixtures for sweep tests: recipes that train in about a second. */
import { RECIPE_VERSION, type Recipe } from "../io/recipe.js";

/** An ERK-sparse 784-16-10 MLP, one epoch on synthetic data; `changes` replace whole sections. */
export function tinyRecipe(seed: number, changes: Partial<Recipe> = {}): Recipe {
  return {
    version: RECIPE_VERSION,
    net: { kind: "mlp", sizes: [784, 16, 10], seed },
    data: { name: "synthetic" },
    sparsity: { name: "erk", sparsity: 0.8 },
    criterion: { name: "random", seed },
    train: { epochs: 1, batchSize: 64, seed, optimizer: { name: "sgd", lr: 0.05, momentum: 0.9 }, schedule: { kind: "cosine" } },
    ...changes,
  };
}
