import { readFileSync } from "node:fs";
import { plan } from "../builder/impl.js";
import type { RunEvent } from "../train/events.js";
import { argError } from "../errors.js";
import { RECIPE_VERSION, type Recipe } from "../io/recipe.js";
import { parseNetSpec } from "../nets/index.js";
import { numberFlag, parseFlags, type Flags } from "./args.js";
import type { BackendName } from "../backend/index.js";

const FLAGS = {
  net: { type: "string" }, dist: { type: "string" }, sparsity: { type: "string" }, criterion: { type: "string" },
  epochs: { type: "string" }, "batch-size": { type: "string" }, lr: { type: "string" }, momentum: { type: "string" },
  optimizer: { type: "string" }, "weight-decay": { type: "string" }, schedule: { type: "string" }, seed: { type: "string" }, prune: { type: "string" },
  data: { type: "string" }, backend: { type: "string" }, "print-recipe": { type: "boolean" }, json: { type: "boolean" },
  regrow: { type: "string" }, drop: { type: "string" }, every: { type: "string" }, until: { type: "string" },
  nm: { type: "string" }, "init-sparsity": { type: "string" },
} as const;

type Values = Flags["values"];

/** Builds a recipe from flags: the common options, so a quick run needs no JSON file. */
function recipeFromFlags(values: Values): unknown {
  const call = "sparselab train";
  const num = (flag: keyof typeof FLAGS) => numberFlag("train", flag, values[flag] as string | undefined);
  const seed = num("seed") ?? 1;
  const sparsity = num("sparsity") ?? 0;
  const dist = (values.dist as string | undefined) ?? "erk";
  if (!["uniform", "er", "erk", "global"].includes(dist)) throw argError(call, "--dist", '"uniform" | "er" | "erk" | "global"', dist);
  const optimizerName = (values.optimizer as string | undefined) ?? "sgd";
  if (!["sgd", "adam", "adamw"].includes(optimizerName)) throw argError(call, "--optimizer", '"sgd" | "adam" | "adamw"', optimizerName);
  const momentum = num("momentum") ?? (optimizerName === "sgd" ? 0.9 : undefined);
  const weightDecay = num("weight-decay");
  const schedule = (values.schedule as string | undefined) ?? "cosine";
  if (!["cosine", "constant"].includes(schedule)) throw argError(call, "--schedule", '"cosine" | "constant"', schedule);
  const source = (values.data as string | undefined) ?? "auto";
  if (!["auto", "full", "embedded", "synthetic"].includes(source)) throw argError(call, "--data", '"auto" | "full" | "embedded" | "synthetic"', source);
  const recipe: Record<string, unknown> = {
    version: RECIPE_VERSION,
    net: parseNetSpec((values.net as string | undefined) ?? "mlp:784-300-100-10", seed, call),
    data: source === "synthetic" ? { name: "synthetic" } : { name: "fashion-mnist", source },
    train: {
      epochs: num("epochs") ?? 5, batchSize: num("batch-size") ?? 128, seed, schedule: { kind: schedule },
      optimizer: {
        name: optimizerName, lr: num("lr") ?? (optimizerName === "sgd" ? 0.05 : 0.001),
        ...(momentum !== undefined && optimizerName === "sgd" && { momentum }),
        ...(weightDecay !== undefined && { weightDecay }),
      },
    },
  };
  const prune = values.prune as string | undefined;
  const regrowMethod = values.regrow as string | undefined;
  const dynamic = { every: num("every") ?? 100, until: num("until") ?? 0.75 };
  if (prune !== undefined && prune !== "gmp" && prune !== "granet") throw argError(call, "--prune", '"gmp" | "granet"', prune);
  if (regrowMethod !== undefined && regrowMethod !== "set" && regrowMethod !== "rigl") throw argError(call, "--regrow", '"set" | "rigl"', regrowMethod);
  if (regrowMethod && prune) throw argError(call, "--regrow", "no --prune alongside it (--prune granet regrows by itself)", regrowMethod);
  if (values.nm !== undefined) {
    const match = /^(\d+):(\d+)$/.exec(values.nm as string);
    if (!match) throw argError(call, "--nm", 'N:M like "2:4"', values.nm);
    if (prune || regrowMethod || sparsity > 0) throw argError(call, "--nm", "no --sparsity, --prune or --regrow alongside it", values.nm);
    recipe.nm = { n: Number(match[1]), m: Number(match[2]), every: dynamic.every === 100 ? 10 : dynamic.every, variant: "srste", refine: 2e-4, decayEnd: 0.75, decayShape: "exponential" };
  } else if (prune === "gmp") {
    if (dist !== "uniform" && dist !== "global" && values.dist !== undefined) {
      throw argError(call, "--dist", '"uniform" (per-layer GMP) or "global" (global GMP) with --prune gmp', dist);
    }
    recipe.prune = { method: "gmp", to: sparsity, start: 0.1, end: 0.7, scope: dist === "global" ? "global" : "layer" };
  } else if (prune === "granet") {
    // GraNet: global cubic pruning to --sparsity from dense (or from ERK --init-sparsity) plus gradient regeneration.
    const initial = num("init-sparsity") ?? 0;
    if (initial > 0) {
      recipe.sparsity = { name: "erk", sparsity: initial };
      recipe.criterion = { name: values.criterion ?? "random", seed };
    }
    recipe.prune = { method: "gmp", to: sparsity, start: 0, end: dynamic.until, every: dynamic.every, scope: "global" };
    recipe.regrow = { method: "gradient", every: dynamic.every, drop: { kind: "cosine", initial: num("drop") ?? 0.5, final: 0.005 }, begin: 0, until: dynamic.until };
  } else if (sparsity > 0) {
    recipe.sparsity = { name: dist, sparsity };
    recipe.criterion = { name: values.criterion ?? "random", seed };
    if (regrowMethod) recipe.regrow = { method: regrowMethod, ...dynamic, begin: 0, drop: { kind: "cosine", initial: num("drop") ?? 0.3 } };
  } else if (values.criterion !== undefined || regrowMethod !== undefined) {
    throw argError(call, values.criterion !== undefined ? "--criterion" : "--regrow", "a --sparsity above 0 to go with it", values.criterion ?? regrowMethod);
  }
  return recipe;
}

function readRecipe(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw argError("sparselab train", "RECIPE", `a readable JSON file (${(error as NodeJS.ErrnoException).code})`, path);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw argError("sparselab train", "RECIPE", `valid JSON (${(error as Error).message})`, path);
  }
}

/** Runs a recipe (a file, or one built from flags) and reports its metrics and densities. */
export async function trainCommand(argv: string[], progress: (line: string) => void): Promise<string> {
  const { values, positionals } = parseFlags("train", argv, FLAGS);
  if (positionals.length > 1) throw argError("sparselab train", "RECIPE", "one recipe file", positionals);
  const recipeFlags = Object.keys(values).filter((k) => !["json", "print-recipe", "backend"].includes(k));
  if (positionals.length === 1 && recipeFlags.length > 0) {
    throw argError("sparselab train", `--${recipeFlags[0]}`, "no recipe flags alongside a RECIPE file (edit the file instead)", values[recipeFlags[0] as keyof Values]);
  }
  const runnable = plan(positionals.length === 1 ? readRecipe(positionals[0]) : recipeFromFlags(values));
  const recipe: Recipe = runnable.toJSON();
  if (values["print-recipe"]) return JSON.stringify(recipe, null, 2);
  const result = await runnable.run({ backend: values.backend as BackendName | undefined, onEvent: (e: RunEvent) => {
    if (e.type === "epoch") progress(`epoch ${e.epoch}/${recipe.train.epochs}  loss ${e.record.trainLoss.toFixed(4)}  val acc ${e.record.valAccuracy.toFixed(4)}  density ${e.record.density.toFixed(4)}  ${e.record.seconds.toFixed(1)}s`);
  } });
  const summary = result.toJSON();
  if (values.json) return JSON.stringify(summary);
  return [`test accuracy ${summary.testAccuracy.toFixed(4)}  loss ${summary.testLoss.toFixed(4)}`,
    `density ${summary.overall.density.toFixed(4)} (${summary.overall.kept}/${summary.overall.total})  backend ${summary.backend}  ${summary.seconds.toFixed(1)}s`].join("\n");
}
