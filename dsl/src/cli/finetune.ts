import { argError } from "../errors.js";
import { loadCheckpoint } from "../io/checkpoint.js";
import type { FinetuneEvent } from "../finetune/context.js";
import { fashionTasks, type FashionTasks } from "../finetune/tasks.js";
import { finetune, FINETUNE_METHODS, type FinetuneMethod, type MethodPlan } from "../finetune/plan.js";
import { pretrainedVit } from "../finetune/pretrained.js";
import { fromRecipe, withMethod } from "../finetune/recipe.js";
import { adam } from "../train/optimizers.js";
import type { Net } from "../nets/index.js";
import { numberFlag, parseFlags, readJson, type Flags } from "./args.js";

const FLAGS = {
  base: { type: "string" }, delta: { type: "string" }, json: { type: "boolean" }, "print-recipe": { type: "boolean" },
  method: { type: "string" }, config: { type: "string" }, task: { type: "string" }, domain: { type: "string" }, data: { type: "string" },
  "train-per-class": { type: "string" }, "test-per-class": { type: "string" }, steps: { type: "string" }, "batch-size": { type: "string" },
  lr: { type: "string" }, seed: { type: "string" },
} as const;

/** The flags that build a plan (not allowed next to a RECIPE file). */
const PLAN_FLAGS = ["method", "config", "task", "domain", "data", "train-per-class", "test-per-class", "steps", "batch-size", "lr", "seed"] as const;

const TASKS: Record<string, keyof Omit<FashionTasks, "data">> = { source: "source", "new-classes": "newClasses", shifted: "shifted", transfer: "transfer" };

type Values = Flags["values"];

/** `--method M [--config JSON] --task T …`: a plan on the Fashion-MNIST tasks; forgetting is measured on the source task. */
async function planFromFlags(values: Values, base: Net): Promise<MethodPlan<FinetuneMethod>> {
  const call = "sparselab finetune";
  const num = (flag: keyof typeof FLAGS) => numberFlag("finetune", flag, values[flag] as string | undefined);
  const method = values.method as string | undefined;
  if (!(FINETUNE_METHODS as readonly string[]).includes(method ?? "")) throw argError(call, "--method", FINETUNE_METHODS.map((m) => `"${m}"`).join(" | "), method);
  let config: unknown = {};
  if (values.config !== undefined) {
    try {
      config = JSON.parse(values.config as string);
    } catch {
      throw argError(call, "--config", `a JSON object of ${method} options, like '{"heads":1,"channels":8}'`, values.config);
    }
  } else if (method !== "full") {
    throw argError(call, "--config", `a JSON object of ${method} options (see the README's fine-tuning section)`, values.config);
  }
  const taskName = (values.task as string | undefined) ?? "new-classes";
  if (!(taskName in TASKS)) throw argError(call, "--task", Object.keys(TASKS).map((t) => `"${t}"`).join(" | "), taskName);
  const tasks = await fashionTasks({
    source: values.data as "auto" | "full" | "embedded" | undefined, domain: values.domain as "inverted" | "rotated" | undefined,
    trainPerClass: num("train-per-class"), testPerClass: num("test-per-class"), seed: num("seed"),
  });
  const task = tasks[TASKS[taskName]];
  const plan = finetune(base, {
    task, steps: num("steps") ?? 300, batchSize: num("batch-size") ?? 64, optimizer: adam(num("lr") ?? 1e-3), seed: num("seed"),
    evaluate: taskName === "source" ? {} : { source: tasks.source },
  });
  return withMethod(plan, method as FinetuneMethod, config);
}

/** Fine-tunes a pretrained net from a recipe (or flags); prints the metrics and optionally saves the delta. */
export async function finetuneCommand(argv: string[], progress: (line: string) => void): Promise<string> {
  const call = "sparselab finetune";
  const { values, positionals } = parseFlags("finetune", argv, FLAGS);
  if (positionals.length > 1) throw argError(call, "RECIPE", "one recipe file", positionals);
  const stray = PLAN_FLAGS.find((f) => values[f] !== undefined);
  if (positionals.length === 1 && stray) throw argError(call, `--${stray}`, "no plan flags alongside a RECIPE file (edit the file instead)", values[stray]);
  const base = values.base === undefined ? await pretrainedVit() : (await loadCheckpoint(values.base as string)).net;
  const plan = positionals.length === 1 ? await fromRecipe(readJson("finetune", positionals[0]), { base }) : await planFromFlags(values, base);
  if (values["print-recipe"]) return JSON.stringify(plan.toJSON(), null, 2);

  let total = 0, every = 1;
  const onEvent = (e: FinetuneEvent) => {
    if (e.type === "start") [total, every] = [e.totalSteps, Math.max(1, Math.round(e.totalSteps / 10))];
    else if (e.type === "step" && ((e.step + 1) % every === 0)) progress(`${e.phase} step ${e.step + 1}/${total}  loss ${e.loss.toFixed(4)}`);
    else if (e.type === "phase") progress(`${e.method}: ${e.phase}`);
  };
  const result = await plan.run({ onEvent });
  if (values.delta !== undefined) await result.delta.save(values.delta as string);
  const summary = result.toJSON();
  if (values.json) return JSON.stringify(summary);
  const evaluations = Object.entries(summary.evaluations).map(([name, accuracy]) => `  ${name} accuracy ${accuracy.toFixed(4)}`);
  return [
    `${summary.method}: test accuracy ${summary.testAccuracy.toFixed(4)}  (validation ${summary.valAccuracy.toFixed(4)})`,
    ...evaluations,
    `${summary.trainableParameters} trainable parameters, ${summary.optimizerStateBytes} optimizer bytes, ${summary.stepMs.toFixed(1)} ms/step, ` +
      `${summary.deltaEntries} delta entries, ${summary.trainSeconds.toFixed(1)}s`,
    ...(values.delta !== undefined ? [`delta saved to ${values.delta}`] : []),
  ].join("\n");
}
