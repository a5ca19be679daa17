import { experiment, plan } from "../builder/impl.js";
import type { ExperimentEvent } from "../experiments/events.js";
import type { LotteryResult, SoupResult } from "../experiments/result.js";
import { LOTTERY_CONTROLS, SOUP_KNOBS } from "../experiments/spec.js";
import { DEFAULT_RUNS_DIR } from "../experiments/run.js";
import type { RunEvent } from "../train/events.js";
import { argError } from "../errors.js";
import { RECIPE_VERSION, type Recipe } from "../io/recipe.js";
import { parseNetSpec } from "../nets/index.js";
import { numberFlag, parseFlags, readJson, type Flags } from "./args.js";
import type { BackendName } from "../backend/index.js";

const FLAGS = {
  net: { type: "string" }, dist: { type: "string" }, sparsity: { type: "string" }, criterion: { type: "string" },
  epochs: { type: "string" }, "batch-size": { type: "string" }, lr: { type: "string" }, momentum: { type: "string" },
  optimizer: { type: "string" }, "weight-decay": { type: "string" }, schedule: { type: "string" }, seed: { type: "string" }, prune: { type: "string" },
  data: { type: "string" }, backend: { type: "string" }, "print-recipe": { type: "boolean" }, json: { type: "boolean" },
  regrow: { type: "string" }, drop: { type: "string" }, every: { type: "string" }, until: { type: "string" },
  nm: { type: "string" }, "init-sparsity": { type: "string" },
  lottery: { type: "string" }, rate: { type: "string" }, rewind: { type: "string" }, control: { type: "string", multiple: true },
  scope: { type: "string" }, "layer-rate": { type: "string", multiple: true }, "eval-every": { type: "string" },
  soup: { type: "string" }, phases: { type: "string" }, merge: { type: "string" }, vary: { type: "string" }, values: { type: "string" },
  pretrain: { type: "string" }, "no-baseline": { type: "boolean" }, runs: { type: "string" },
} as const;

/** Flags that only make sense with --lottery / --soup. */
const LOTTERY_ONLY = ["rate", "rewind", "control", "scope", "layer-rate", "eval-every"] as const;
const SOUP_ONLY = ["phases", "merge", "vary", "values", "pretrain", "no-baseline"] as const;

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
  for (const [flag, only] of [["lottery", LOTTERY_ONLY], ["soup", SOUP_ONLY]] as const) {
    if (values[flag] !== undefined) continue;
    const stray = only.find((f) => values[f] !== undefined);
    if (stray) throw argError(call, `--${stray}`, `--${flag} to go with it`, values[stray]);
  }
  if (values.lottery !== undefined) {
    if (values.soup !== undefined) throw argError(call, "--lottery", "no --soup alongside it", values.lottery);
    const clash = (["sparsity", "prune", "regrow", "nm", "criterion", "dist", "init-sparsity"] as const).find((f) => values[f] !== undefined);
    if (clash) throw argError(call, `--${clash}`, "no such flag with --lottery (IMP starts dense and prunes by itself)", values[clash]);
    recipe.lottery = lotteryFromFlags(values, num);
    return recipe;
  }
  if (values.soup !== undefined) {
    const clash = (["prune", "regrow", "nm", "init-sparsity"] as const).find((f) => values[f] !== undefined);
    if (clash) throw argError(call, `--${clash}`, "no such flag with --soup", values[clash]);
    const ingredients = num("soup")!;
    if (!Number.isInteger(ingredients) || ingredients < 1) throw argError(call, "--soup", "a positive integer (ingredients per phase)", values.soup);
    if (!(sparsity > 0)) throw argError(call, "--soup", "a goal --sparsity above 0 to go with it", values.soup);
    const soupDist = (values.dist as string | undefined) ?? "global";
    if (soupDist !== "global" && soupDist !== "uniform") throw argError(call, "--dist", '"global" | "uniform" with --soup', soupDist);
    if (values.criterion !== undefined && values.criterion !== "magnitude") throw argError(call, "--criterion", '"magnitude" with --soup', values.criterion);
    const phases = num("phases") ?? 1;
    if (!Number.isInteger(phases) || phases < 1) throw argError(call, "--phases", "a positive integer", values.phases);
    const merge = (values.merge as string | undefined) ?? "greedy";
    if (merge !== "uniform" && merge !== "greedy") throw argError(call, "--merge", '"uniform" | "greedy"', merge);
    const varyFlag = (values.vary as string | undefined) ?? "seed";
    const vary = varyFlag === "weight-decay" ? "weightDecay" : varyFlag;
    if (!(SOUP_KNOBS as readonly string[]).includes(vary) || varyFlag === "weightDecay") throw argError(call, "--vary", '"seed" | "weight-decay" | "lr" | "epochs"', varyFlag);
    const knobValues = values.values === undefined ? undefined : (values.values as string).split(",").map((v) => {
      const n = Number(v);
      if (v.trim() === "" || !Number.isFinite(n)) throw argError(call, "--values", "comma-separated numbers", values.values);
      return n;
    });
    recipe.sparsity = { name: soupDist, sparsity };
    recipe.criterion = { name: "magnitude", seed };
    recipe.soup = {
      ingredients, phases, vary, ...(knobValues && { values: knobValues }), merge,
      pretrain: num("pretrain") ?? (recipe.train as { epochs: number }).epochs, baseline: !values["no-baseline"],
    };
    return recipe;
  }
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

/** `--lottery ROUNDS --rate R [--rewind STEP] [--control reinit|random-mask]… [--scope global|layer] [--layer-rate NAME=R]…` */
function lotteryFromFlags(values: Values, num: (flag: keyof typeof FLAGS) => number | undefined): Record<string, unknown> {
  const call = "sparselab train";
  const rounds = num("lottery")!;
  if (!Number.isInteger(rounds) || rounds < 1) throw argError(call, "--lottery", "a positive integer (pruning rounds)", values.lottery);
  if (values.rate === undefined) throw argError(call, "--rate", "a pruning rate in (0, 1) with --lottery", values.rate);
  const rate = num("rate")!;
  if (!(rate > 0 && rate < 1)) throw argError(call, "--rate", "a number in (0, 1)", values.rate);
  const rewind = num("rewind") ?? 0;
  if (!Number.isInteger(rewind) || rewind < 0) throw argError(call, "--rewind", "a non-negative integer (optimizer steps)", values.rewind);
  const controls = ((values.control as unknown as string[] | undefined) ?? []).flatMap((c) => c.split(","));
  for (const c of controls) {
    if (!(LOTTERY_CONTROLS as readonly string[]).includes(c)) throw argError(call, "--control", LOTTERY_CONTROLS.map((k) => `"${k}"`).join(" | "), c);
  }
  const layerRates: Record<string, number> = {};
  for (const entry of (values["layer-rate"] as unknown as string[] | undefined) ?? []) {
    const match = /^([^=]+)=(.+)$/.exec(entry);
    const r = match ? Number(match[2]) : NaN;
    if (!match || !(r > 0 && r < 1)) throw argError(call, "--layer-rate", 'NAME=RATE with a rate in (0, 1), like "fc3.kernel=0.1"', entry);
    layerRates[match[1]] = r;
  }
  const hasLayerRates = Object.keys(layerRates).length > 0;
  const scope = (values.scope as string | undefined) ?? (hasLayerRates ? "layer" : "global");
  if (scope !== "global" && scope !== "layer") throw argError(call, "--scope", '"global" | "layer"', scope);
  const evalEvery = num("eval-every");
  return {
    rounds, rate, ...(hasLayerRates && { layerRates }), scope, rewind: { step: rewind }, controls: [...new Set(controls)],
    ...(evalEvery !== undefined && { evalEvery }),
  };
}

/** Runs a recipe (a file, or one built from flags) and reports its metrics and densities. */
export async function trainCommand(argv: string[], progress: (line: string) => void): Promise<string> {
  const { values, positionals } = parseFlags("train", argv, FLAGS);
  if (positionals.length > 1) throw argError("sparselab train", "RECIPE", "one recipe file", positionals);
  const recipeFlags = Object.keys(values).filter((k) => !["json", "print-recipe", "backend", "runs"].includes(k));
  if (positionals.length === 1 && recipeFlags.length > 0) {
    throw argError("sparselab train", `--${recipeFlags[0]}`, "no recipe flags alongside a RECIPE file (edit the file instead)", values[recipeFlags[0] as keyof Values]);
  }
  const source = positionals.length === 1 ? readJson("train", positionals[0]) : recipeFromFlags(values);
  if (typeof source === "object" && source !== null && ("lottery" in source || "soup" in source)) {
    return experimentCommand(source, values, progress);
  }
  if (values.runs !== undefined) throw argError("sparselab train", "--runs", "--lottery or --soup to go with it (a plain run keeps no run directory)", values.runs);
  const runnable = plan(source);
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

/** Lottery and soup recipes: resumable runs in `--runs DIR` (default .runs), one JSON summary. */
async function experimentCommand(source: object, values: Values, progress: (line: string) => void): Promise<string> {
  const runnable = experiment(source);
  const recipe: Recipe = runnable.toJSON();
  if (values["print-recipe"]) return JSON.stringify(recipe, null, 2);
  const onEvent = (e: ExperimentEvent) => {
    if (e.type === "unit") progress(`${e.unit}: ${e.status}${e.reason ? ` (${e.reason})` : ""}`);
    else if (e.event.type === "epoch") {
      const r = e.event.record;
      progress(`${e.unit} epoch ${e.event.epoch}/${recipe.soup && e.unit === "pretrain" ? recipe.soup.pretrain : recipe.train.epochs}  loss ${r.trainLoss.toFixed(4)}  val acc ${r.valAccuracy.toFixed(4)}  density ${r.density.toFixed(4)}  ${r.seconds.toFixed(1)}s`);
    }
  };
  const result = await runnable.run({ backend: values.backend as BackendName | undefined, dir: (values.runs as string | undefined) ?? DEFAULT_RUNS_DIR, onEvent });
  const run = result.runs[0];
  const head = { seed: run.seed, run: run.key, dir: run.dir, units: run.units };
  if (recipe.lottery) {
    const levels = (result as LotteryResult).levels();
    if (values.json) return JSON.stringify({ ...head, levels });
    const controls = recipe.lottery.controls;
    return [
      ["level", "remaining", "test acc", "early stop", ...controls.map((c) => `${c} acc`)].map((h) => h.padEnd(12)).join(""),
      ...levels.map((l) => [String(l.level), l.remaining.toFixed(4), l.testAccuracy.toFixed(4), String(l.earlyStopIteration),
        ...controls.map((c) => l.controls[c]?.testAccuracy.toFixed(4) ?? "")].map((v) => v.padEnd(12)).join("")),
      `run ${run.key} in ${run.dir}: ${run.units.loaded} units loaded, ${run.units.computed} computed, ${run.units.recomputed} recomputed`,
    ].join("\n");
  }
  const soup = result as SoupResult;
  const phases = soup.phases();
  if (values.json) return JSON.stringify({ ...head, pretrained: soup.pretrained(), phases });
  return [
    ["phase", "density", "best ingr.", "uniform", "greedy", "members", "IMP"].map((h) => h.padEnd(12)).join(""),
    ...phases.map((p) => [String(p.phase), p.density.toFixed(4), p.bestIngredient.testAccuracy.toFixed(4), p.uniformSoup.testAccuracy.toFixed(4),
      p.greedySoup.testAccuracy.toFixed(4), p.greedySoup.members, p.imp?.testAccuracy.toFixed(4) ?? ""].map((v) => v.padEnd(12)).join("")),
    `run ${run.key} in ${run.dir}: ${run.units.loaded} units loaded, ${run.units.computed} computed, ${run.units.recomputed} recomputed`,
  ].join("\n");
}
