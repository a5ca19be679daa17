import { describe, expect, it } from "vitest";
import { RECIPE_VERSION, validateRecipe } from "./recipe.js";

/** A minimal valid recipe; each test breaks one thing. */
function recipe(): Record<string, any> {
  return {
    version: 1,
    net: { kind: "mlp", sizes: [16, 8, 4], seed: 1 },
    data: { name: "synthetic", features: 16, numClasses: 4 },
    sparsity: { name: "erk", sparsity: 0.8 },
    criterion: { name: "random", seed: 2 },
    train: { epochs: 1, batchSize: 32, seed: 1, optimizer: { name: "sgd", lr: 0.1, momentum: 0.9 } },
    prune: { method: "gmp", to: 0.9, start: 0.1, end: 0.7, scope: "layer" },
  };
}
const broken = (change: (r: Record<string, any>) => void) => {
  const r = recipe();
  change(r);
  return () => validateRecipe(r);
};

describe("validateRecipe", () => {
  it("accepts a valid recipe and returns a deeply frozen copy of it", () => {
    const valid = validateRecipe(recipe());
    expect(valid).toEqual(recipe());
    expect(RECIPE_VERSION).toBe(1);
    for (const part of [valid, valid.net, valid.net.sizes, valid.data, valid.train, valid.train.optimizer, valid.prune]) expect(Object.isFrozen(part)).toBe(true);
  });

  it("accepts conv nets and the optional parts left out", () => {
    const conv = { kind: "conv", input: [28, 28, 1], convs: [8, 8, "pool"], dense: [32, 10], seed: 0 };
    expect(validateRecipe({ ...recipe(), net: conv }).net).toEqual(conv);
    const vit = { kind: "vit", input: [28, 28, 1], patch: 7, dim: 32, heads: 4, mlp: 64, depth: 2, classes: 10, seed: 1 };
    expect(validateRecipe({ ...recipe(), net: vit }).net).toEqual(vit);
    expect(() => validateRecipe({ ...recipe(), net: { ...vit, heads: "4" } })).toThrow(/^plan\(net\.heads\): expected positive integers, received "4"$/);
    const { sparsity: _s, criterion: _c, prune: _p, ...dense } = recipe();
    expect(validateRecipe(dense)).toEqual(dense);
    expect(validateRecipe({ ...recipe(), data: { name: "fashion-mnist", source: "embedded" } }).data).toEqual({ name: "fashion-mnist", source: "embedded" });
  });

  it("rejects unknown keys, naming the key and the value", () => {
    expect(broken((r) => (r.seed = 3))).toThrow(/^plan\(recipe\.seed\): expected no such option \(known: version, net, data, sparsity, criterion, train, prune, regrow, nm, lottery, soup\), received 3$/);
    expect(broken((r) => (r.net.depth = 3))).toThrow(/^plan\(net\.depth\): expected no such option \(known: kind, sizes, seed\), received 3$/);
    expect(broken((r) => (r.criterion.iterations = 100))).toThrow(/^plan\(recipe\.criterion\.iterations\): expected no such option \(known: name, seed\), received 100$/);
    expect(broken((r) => (r.train.momentum = 0.9))).toThrow(/^plan\(options\.momentum\): expected no such option \(known: epochs, batchSize, optimizer, schedule, seed, dropLast\), received 0\.9$/);
    expect(broken((r) => (r.train.optimizer.betas = [0.9, 0.99]))).toThrow(/^plan\(optimizer\.betas\): expected no such option \(known: name, lr, momentum, nesterov, weightDecay\), received \[0\.9,0\.99\]$/);
    expect(broken((r) => (r.prune.freq = 10))).toThrow(/^plan\(options\.freq\): expected no such option \(known: method, to, start, end, every, scope\), received 10$/);
    expect(broken((r) => (r.sparsity.denseLast = true))).toThrow(/^distributions\.fromConfig\(config\.denseLast\): expected no such option \(known: name, sparsity\), received true$/);
    expect(broken((r) => (r.data.bogus = 1))).toThrow(/^plan\(recipe\.data\.bogus\): expected no such option \(known: name, train, test, validation, inputShape, features, numClasses, noise, seed, splitSeed\), received 1$/);
    expect(broken((r) => (r.data = { name: "fashion-mnist", features: 16 }))).toThrow(/^plan\(recipe\.data\.features\): expected no such option \(known: name, source, path, validation, splitSeed, pixels\), received 16$/);
  });

  it("rejects a criterion without a sparsity to prune to", () => {
    const { sparsity: _s, ...noSparsity } = recipe();
    expect(() => validateRecipe(noSparsity)).toThrow(/^plan\(recipe\.criterion\): expected a recipe\.sparsity for the criterion to prune to, received \{"name":/);
  });

  it("rejects wrong types and values, naming the key and the value", () => {
    expect(broken((r) => (r.train.epochs = "3"))).toThrow(/^plan\(epochs\): expected a positive integer, received "3"$/);
    expect(broken((r) => (r.train.seed = 1.5))).toThrow(/^plan\(seed\): expected a non-negative integer, received 1\.5$/);
    expect(broken((r) => (r.train.optimizer.name = "lion"))).toThrow(/^plan\(optimizer\.name\): expected "sgd" \| "adam" \| "adamw", received "lion"$/);
    expect(broken((r) => (r.train.dropLast = "yes"))).toThrow(/^plan\(dropLast\): expected a boolean, received "yes"$/);
    expect(broken((r) => (r.train = undefined))).toThrow(/^plan\(recipe\.train\): expected an object, received undefined$/);
    expect(broken((r) => (r.criterion.seed = -2))).toThrow(/^plan\(recipe\.criterion\.seed\): expected a non-negative integer, received -2$/);
    expect(broken((r) => (r.criterion.name = "Random"))).toThrow(/^plan\(recipe\.criterion\.name\): expected one of "random" \| "magnitude" \| "snip" \| "grasp" \| "synflow", received "Random"$/);
    expect(broken((r) => (r.sparsity = { name: "erk", sparsity: 1 }))).toThrow(/^erk\(sparsity\): expected a number in \[0, 1\), received 1$/);
    expect(broken((r) => (r.sparsity = { name: "lamp", sparsity: 0.5 }))).toThrow(/^distributions\.fromConfig\(config\.name\): expected one of "uniform" \| "er" \| "erk" \| "global" \| "custom", received "lamp"$/);
    expect(broken((r) => (r.prune.to = 0.95 * 2))).toThrow(/^plan\(to\): expected a number in \[0, 1\), received 1\.9$/);
    expect(broken((r) => (r.prune.method = "rigl"))).toThrow(/^plan\(method\): expected one of "gmp", received "rigl"$/);
    expect(broken((r) => (r.data = "synthetic"))).toThrow(/^plan\(recipe\.data\): expected an object, received "synthetic"$/);
    expect(broken((r) => (r.data.name = "mnist"))).toThrow(/^plan\(recipe\.data\.name\): expected one of "fashion-mnist" \| "synthetic", received "mnist"$/);
    expect(() => validateRecipe("{}")).toThrow(/^plan\(recipe\): expected an object, received "\{\}"$/);
  });

  it("rejects a missing or wrong version", () => {
    expect(broken((r) => (r.version = 2))).toThrow(/^plan\(recipe\.version\): expected 1, received 2$/);
    expect(broken((r) => (r.version = "1"))).toThrow(/^plan\(recipe\.version\): expected 1, received "1"$/);
    expect(broken((r) => delete r.version)).toThrow(/^plan\(recipe\.version\): expected 1, received undefined$/);
  });

  it("rejects bad net specs, naming the key and the value", () => {
    expect(broken((r) => (r.net.kind = "resnet"))).toThrow(/^plan\(net\.kind\): expected one of "mlp" \| "conv" \| "vit", received "resnet"$/);
    expect(broken((r) => (r.net.sizes = [16, "8", 4]))).toThrow(/^plan\(net\.sizes\): expected positive integers, received \[16,"8",4\]$/);
    expect(broken((r) => (r.net.sizes = [16, 0, 4]))).toThrow(/^plan\(net\.sizes\): expected positive integers, received \[16,0,4\]$/);
    expect(broken((r) => (r.net.sizes = [16, 8.5, 4]))).toThrow(/^plan\(net\.sizes\): expected positive integers, received \[16,8\.5,4\]$/);
    expect(broken((r) => (r.net.sizes = [16]))).toThrow(/^plan\(net\): expected a net like "mlp:784-300-100-10" or "conv:28x28x1:64-64-pool\/256-256-10", received "mlp:16"$/);
    expect(broken((r) => (r.net.sizes = "16-8-4"))).toThrow(/^plan\(net\.sizes\): expected positive integers, received "16-8-4"$/);
    expect(broken((r) => (r.net.seed = undefined))).toThrow(/^plan\(net\.seed\): expected a non-negative integer, received undefined$/);
    expect(broken((r) => (r.net = { kind: "conv", input: [28, 28], convs: [8], dense: [10], seed: 0 }))).toThrow(/^plan\(net\): expected a net like .*, received "conv:28x28:8\/10"$/);
    expect(broken((r) => (r.net = { kind: "conv", input: [28, 28, 1], convs: ["pool", 8], dense: [10], seed: 0 }))).toThrow(/^plan\(net\): expected a net like .*, received "conv:28x28x1:pool-8\/10"$/);
    expect(broken((r) => (r.net = { kind: "conv", input: [28, 28, 1], convs: [8, "max"], dense: [10], seed: 0 }))).toThrow(/^plan\(net\.convs\): expected positive integers and "pool", received \[8,"max"\]$/);
  });

  it("names the caller it was given", () => {
    expect(() => validateRecipe({ ...recipe(), version: 0 }, "sparselab train")).toThrow(/^sparselab train\(recipe\.version\): expected 1, received 0$/);
  });
});
