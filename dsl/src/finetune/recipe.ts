/**
 * Fine-tuning recipes: the JSON of a `MethodPlan` (`plan.toJSON()`, `result.recipe`) back into a
 * runnable plan, so a notebook's run repeats from a script or `sparselab finetune RECIPE.json`.
 */
import { argError } from "../errors.js";
import { Net } from "../nets/index.js";
import { checkKnownKeys, checkOneOf, checkPlainObject } from "../validate.js";
import { finetune, FINETUNE_METHODS, type FinetuneMethod, type FinetunePlan, type LoraOptions, type LtsftOptions, type MethodPlan, type S2ftOptions, type SaraOptions } from "./plan.js";
import { pretrainedVit } from "./pretrained.js";
import { rebuildTask, type Task } from "./tasks.js";
import type { FinetuneTrain } from "./train.js";

const RECIPE_KEYS = ["kind", "net", "seed", "base", "task", "evaluate", "train", "method", "config"] as const;

export interface FromRecipeOptions {
  /** The net the recipe fine-tunes (default: the shipped pretrained ViT); its weights must match `recipe.base`. */
  readonly base?: Net;
}

/** Rebuilds a fine-tuning plan from its recipe: same base weights (checked), same task examples, same method. */
export async function fromRecipe(recipe: unknown, options: FromRecipeOptions = {}): Promise<MethodPlan<FinetuneMethod>> {
  const call = "finetune.fromRecipe";
  const r = checkPlainObject(call, "recipe", recipe);
  checkKnownKeys(call, "recipe", r, RECIPE_KEYS);
  checkOneOf(call, "recipe.kind", r.kind, ["finetune"] as const);
  const method = checkOneOf(call, "recipe.method", r.method, FINETUNE_METHODS);
  const o = checkPlainObject(call, "options", options);
  checkKnownKeys(call, "options", o, ["base"]);
  if (o.base !== undefined && !(o.base instanceof Net)) throw argError(call, "options.base", "a sparselab Net", o.base);
  const base = (o.base as Net | undefined) ?? await pretrainedVit();
  if (base.family !== r.net) throw argError(call, "recipe.net", `the base net's family ${JSON.stringify(base.family)}`, r.net);
  const fingerprint = base.fingerprint();
  if (fingerprint !== r.base) throw argError(call, "recipe.base", `the fingerprint of the base net's weights, ${fingerprint}`, r.base);

  const task = await rebuildTask(r.task, call, "recipe.task");
  const evaluate: Record<string, Task> = {};
  if (r.evaluate !== undefined) {
    for (const [name, description] of Object.entries(checkPlainObject(call, "recipe.evaluate", r.evaluate))) {
      evaluate[name] = await rebuildTask(description, call, `recipe.evaluate.${name}`);
    }
  }
  const train = checkPlainObject(call, "recipe.train", r.train) as unknown as FinetuneTrain;
  checkKnownKeys(call, "recipe.train", train as unknown as Record<string, unknown>, ["steps", "batchSize", "optimizer", "schedule", "seed", "head", "evalLimit"]);
  // finetune() validates every training option and each method its config, as when first built.
  const plan = finetune(base, { task, evaluate, ...train });
  const config = checkPlainObject(call, "recipe.config", r.config);
  if (method === "full") checkKnownKeys(call, "recipe.config", config, []);
  return withMethod(plan, method, config);
}

/** `plan` with `method` chosen, configured from plain options (as a recipe or the CLI holds them; the method validates them). */
export function withMethod(plan: FinetunePlan, method: FinetuneMethod, config: unknown): MethodPlan<FinetuneMethod> {
  switch (method) {
    case "full": return plan.full();
    case "lora": return plan.lora(config as LoraOptions);
    case "s2ft": return plan.s2ft(config as S2ftOptions);
    case "sara": return plan.sara(config as SaraOptions);
    case "ltsft": return plan.ltsft(config as LtsftOptions);
  }
}
