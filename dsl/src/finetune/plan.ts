/**
 * The fine-tuning DSL: `pre.finetune(t)` is a plan, not an action. Choosing a method returns a new
 * frozen plan; `.run()` trains and returns a `FinetuneResult` with the `SparseDelta` (and the LoRA
 * adapter), metrics, trainable-parameter count, optimizer-state bytes and step time.
 *
 *   const pre = await sl.finetune.pretrainedVit();
 *   const tasks = await sl.finetune.fashionTasks();
 *   const r = await pre.finetune({ task: tasks.newClasses, steps: 300 }).s2ft({ heads: 1, channels: 8 }).run();
 *   const tuned = r.delta.applyTo(pre);
 */
import { useBackend } from "../backend/index.js";
import { DISPLAY, htmlTable, type MimeBundle } from "../display.js";
import { argError, SparselabError } from "../errors.js";
import { Net } from "../nets/index.js";
import type { OptimizerSpec } from "../train/optimizers.js";
import { checkKnownKeys, checkNonNegativeInt, checkNumberIn, checkOneOf, checkPlainObject, checkPositive, checkPositiveInt } from "../validate.js";
import { bodyTensors, type FinetuneEvent, type LoraAdapter, type MethodContext, type MethodOutcome } from "./context.js";
import type { SparseDelta } from "./delta.js";
import { runFull } from "./methods/full.js";
import { LORA_TARGETS, runLora, type LoraConfig, type LoraTarget } from "./methods/lora.js";
import { runLtsft, type LtsftConfig } from "./methods/ltsft.js";
import { runS2ft, S2FT_SELECTIONS, type S2ftConfig, type S2ftSelection } from "./methods/s2ft.js";
import { runSara, type SaraConfig } from "./methods/sara.js";
import { describeTask, type Task, type TaskDescription } from "./tasks.js";
import { evaluateTask, median, validateFinetuneOptions, type FinetuneOptions, type FinetuneTrain, type TaskEvaluation } from "./train.js";

export const FINETUNE_METHODS = ["full", "lora", "s2ft", "sara", "ltsft"] as const;
export type FinetuneMethod = (typeof FINETUNE_METHODS)[number];

export interface LoraOptions {
  /** Adapter rank r (≤ the smaller side of every adapted kernel). */
  readonly rank: number;
  /** Scale numerator: W' = W + (alpha / r)·A·B (default 2·rank). */
  readonly alpha?: number;
  /** Which projections get adapters (default all: q, k, v, o, up, down). */
  readonly targets?: readonly LoraTarget[];
  readonly seed?: number;
}

export interface S2ftOptions {
  /** Heads per block: a fraction in (0, 1) (rounded, at least 1) or a whole count. */
  readonly heads: number;
  /** FFN channels per block: a fraction in (0, 1) (rounded, at least 1) or a whole count. */
  readonly channels: number;
  /** "random" (as released, default), "norm" (largest output-side weight norm) or "gradient". */
  readonly select?: S2ftSelection;
  readonly seed?: number;
  /** "output" (default): rows of o and down; "both": also the q, k, v and up columns of the chosen units. */
  readonly train?: "output" | "both";
}

export interface SaraOptions {
  /** Entries with |θ₀| below this train (> 0). */
  readonly threshold: number;
  /** Nuclear-norm weight λ (default 1e-3; 0 disables the penalty). */
  readonly lambda?: number;
  /** Leave the largest `rank` singular values of each update unpenalised (default 0: the full nuclear norm). */
  readonly rank?: number;
  /** When (fraction of the steps) to re-select the trainable entries (default 0.5; 1 = never). */
  readonly reselectAt?: number;
  /** Recompute the nuclear-norm subgradient's SVD every this many steps (default 4; 1 = every step). */
  readonly svdEvery?: number;
}

export interface LtsftOptions {
  /** Body entries to keep: a fraction in (0, 1) of the body's parameters or a whole count. */
  readonly budget: number;
  /** L1 penalty on the sparse phase's differences (default 0). */
  readonly l1?: number;
}

export type MethodConfig<M extends FinetuneMethod> =
  M extends "lora" ? LoraConfig : M extends "s2ft" ? S2ftConfig : M extends "sara" ? SaraConfig : M extends "ltsft" ? LtsftConfig : Record<string, never>;

/** A fine-tuning plan for a net and a task; choose a method to get a runnable plan. */
export interface FinetunePlan {
  readonly net: Net;
  readonly task: Task;
  readonly train: FinetuneTrain;
  /** Every parameter trains. */
  full(): MethodPlan<"full">;
  /** Low-rank adapters on the attention and FFN projections (ViT only). */
  lora(options: LoraOptions): MethodPlan<"lora">;
  /** Structured sparse fine-tuning of a few heads and channels per block (ViT only). */
  s2ft(options: S2ftOptions): MethodPlan<"s2ft">;
  /** The small-magnitude entries, with a nuclear-norm penalty on the update. */
  sara(options: SaraOptions): MethodPlan<"sara">;
  /** Lottery-ticket sparse fine-tuning: a `budget`-entry sparse difference. */
  ltsft(options: LtsftOptions): MethodPlan<"ltsft">;
}

/** A fine-tuning plan as JSON: `sl.finetune.fromRecipe` and `sparselab finetune` run it again. */
export interface FinetuneRecipe {
  readonly kind: "finetune";
  /** The base net's family, seed and weights (`Net.fingerprint()`). */
  readonly net: string;
  readonly seed: number;
  readonly base: string;
  readonly task: TaskDescription;
  readonly evaluate?: Readonly<Record<string, TaskDescription>>;
  readonly train: FinetuneTrain;
  readonly method: FinetuneMethod;
  readonly config: Readonly<Record<string, unknown>>;
}

export interface FinetuneRunOptions {
  readonly onEvent?: (event: FinetuneEvent) => void;
}

/** A plan with its method chosen. */
export interface MethodPlan<M extends FinetuneMethod> {
  readonly method: M;
  readonly config: MethodConfig<M>;
  toJSON(): FinetuneRecipe;
  run(options?: FinetuneRunOptions): Promise<FinetuneResult<M>>;
}

export interface FinetuneMetrics {
  readonly testAccuracy: number;
  readonly testLoss: number;
  readonly valAccuracy: number;
  /** The `evaluate` tasks of the options, by name. */
  readonly evaluations: Readonly<Record<string, TaskEvaluation>>;
}

interface Props {
  readonly net: Net;
  readonly task: Task;
  readonly train: FinetuneTrain;
  readonly evaluate: Readonly<Record<string, Task>>;
}

/** A fraction in (0, 1) → round(f·total) (at least 1), or a whole count in [1, total]. */
function countOf(call: string, arg: string, value: unknown, total: number, what: string): number {
  const ok = typeof value === "number" && Number.isFinite(value) &&
    ((value > 0 && value < 1) || (Number.isInteger(value) && value >= 1 && value <= total));
  if (!ok) throw argError(call, arg, `a fraction in (0, 1) or a whole count in [1, ${total}] (${what})`, value);
  return value < 1 ? Math.max(1, Math.round(value * total)) : value;
}

class FinetunePlanImpl implements FinetunePlan {
  readonly #props: Props;

  constructor(props: Props) {
    this.#props = Object.freeze(props);
    Object.freeze(this);
  }

  get net(): Net { return this.#props.net; }
  get task(): Task { return this.#props.task; }
  get train(): FinetuneTrain { return this.#props.train; }

  #vit(call: string) {
    const spec = this.#props.net.spec;
    if (spec.kind !== "vit") throw new SparselabError(`${call}(): expected a ViT net (it needs attention heads and FFN channels), received ${JSON.stringify(this.#props.net.family)}`);
    return spec;
  }

  full(): MethodPlan<"full"> {
    return new MethodPlanImpl(this.#props, "full", Object.freeze({}) as MethodConfig<"full">);
  }

  lora(options: LoraOptions): MethodPlan<"lora"> {
    const call = "lora";
    const spec = this.#vit(call);
    const o = checkPlainObject(call, "options", options);
    checkKnownKeys(call, "options", o, ["rank", "alpha", "targets", "seed"]);
    const rank = checkPositiveInt(call, "rank", o.rank);
    const smallest = Math.min(spec.dim, spec.mlp);
    if (rank > smallest) throw argError(call, "rank", `at most ${smallest} (the smaller side of the adapted kernels)`, rank);
    const targets = o.targets === undefined ? [...LORA_TARGETS] : o.targets;
    if (!Array.isArray(targets) || targets.length === 0 || new Set(targets).size !== targets.length) {
      throw argError(call, "targets", `distinct names among ${LORA_TARGETS.join(", ")}`, targets);
    }
    targets.forEach((t, i) => checkOneOf(call, `targets[${i}]`, t, LORA_TARGETS));
    const config: LoraConfig = Object.freeze({
      rank, alpha: o.alpha === undefined ? 2 * rank : checkPositive(call, "alpha", o.alpha), targets: Object.freeze([...targets]) as readonly LoraTarget[],
      seed: checkNonNegativeInt(call, "seed", o.seed ?? this.#props.train.seed),
    });
    return new MethodPlanImpl(this.#props, "lora", config as MethodConfig<"lora">);
  }

  s2ft(options: S2ftOptions): MethodPlan<"s2ft"> {
    const call = "s2ft";
    const spec = this.#vit(call);
    const o = checkPlainObject(call, "options", options);
    checkKnownKeys(call, "options", o, ["heads", "channels", "select", "seed", "train"]);
    const config: S2ftConfig = Object.freeze({
      heads: countOf(call, "heads", o.heads, spec.heads, "heads per block"),
      channels: countOf(call, "channels", o.channels, spec.mlp, "FFN channels per block"),
      select: o.select === undefined ? "random" : checkOneOf(call, "select", o.select, S2FT_SELECTIONS),
      seed: checkNonNegativeInt(call, "seed", o.seed ?? this.#props.train.seed),
      train: o.train === undefined ? "output" : checkOneOf(call, "train", o.train, ["output", "both"] as const),
    });
    return new MethodPlanImpl(this.#props, "s2ft", config as MethodConfig<"s2ft">);
  }

  sara(options: SaraOptions): MethodPlan<"sara"> {
    const call = "sara";
    const o = checkPlainObject(call, "options", options);
    checkKnownKeys(call, "options", o, ["threshold", "lambda", "rank", "reselectAt", "svdEvery"]);
    const config: SaraConfig = Object.freeze({
      threshold: checkPositive(call, "threshold", o.threshold),
      lambda: o.lambda === undefined ? 1e-3 : checkNumberIn(call, "lambda", o.lambda, 0, Infinity, { maxOpen: true }),
      rank: o.rank === undefined ? 0 : checkNonNegativeInt(call, "rank", o.rank),
      reselectAt: o.reselectAt === undefined ? 0.5 : checkNumberIn(call, "reselectAt", o.reselectAt, 0, 1, { minOpen: true }),
      svdEvery: o.svdEvery === undefined ? 4 : checkPositiveInt(call, "svdEvery", o.svdEvery),
    });
    return new MethodPlanImpl(this.#props, "sara", config as MethodConfig<"sara">);
  }

  ltsft(options: LtsftOptions): MethodPlan<"ltsft"> {
    const call = "ltsft";
    const o = checkPlainObject(call, "options", options);
    checkKnownKeys(call, "options", o, ["budget", "l1"]);
    const body = bodyTensors(this.#props.net).reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
    const budget = countOf(call, "budget", o.budget, body, "the body's fine-tunable parameters");
    const l1 = o.l1 === undefined ? 0 : checkNumberIn(call, "l1", o.l1, 0, Infinity, { maxOpen: true });
    return new MethodPlanImpl(this.#props, "ltsft", Object.freeze({ budget, l1 }) as MethodConfig<"ltsft">);
  }
}

class MethodPlanImpl<M extends FinetuneMethod> implements MethodPlan<M> {
  readonly #props: Props;
  readonly method: M;
  readonly config: MethodConfig<M>;

  constructor(props: Props, method: M, config: MethodConfig<M>) {
    this.#props = props;
    this.method = method;
    this.config = config;
    Object.freeze(this);
  }

  toJSON(): FinetuneRecipe {
    const { net, task, train, evaluate } = this.#props;
    const extra = Object.entries(evaluate);
    return {
      kind: "finetune", net: net.family, seed: net.spec.seed, base: net.fingerprint(), task: describeTask(task),
      ...(extra.length > 0 && { evaluate: Object.fromEntries(extra.map(([name, t]) => [name, describeTask(t)])) }),
      train, method: this.method, config: { ...this.config },
    };
  }

  async run(options: FinetuneRunOptions = {}): Promise<FinetuneResult<M>> {
    const o = checkPlainObject("run", "options", options);
    checkKnownKeys("run", "options", o, ["onEvent"]);
    await useBackend();
    const { net, task, train, evaluate } = this.#props;
    const recipe = this.toJSON();
    const started = Date.now();
    const ctx: MethodContext = { pre: net, task, train, onEvent: options.onEvent };
    options.onEvent?.({ type: "start", method: this.method, totalSteps: this.method === "ltsft" ? 2 * train.steps : train.steps });
    const outcome = await runMethod(ctx, this.method, this.config);
    const trainSeconds = (Date.now() - started) / 1000;
    const tuned = outcome.delta.applyTo(net);
    try {
      const forward = (x: Parameters<Net["apply"]>[0]) => tuned.apply(x);
      const test = evaluateTask(forward, task, task.test, train.evalLimit);
      const val = evaluateTask(forward, task, task.validation, train.evalLimit);
      const evaluations = Object.fromEntries(Object.entries(evaluate).map(([name, t]) => [name, evaluateTask(forward, t, t.test, train.evalLimit)]));
      const metrics: FinetuneMetrics = Object.freeze({ testAccuracy: test.accuracy, testLoss: test.loss, valAccuracy: val.accuracy, evaluations });
      options.onEvent?.({ type: "end", method: this.method, testAccuracy: test.accuracy });
      return new FinetuneResult<M>({ method: this.method, config: this.config, recipe, pre: net, outcome, metrics, trainSeconds, seconds: (Date.now() - started) / 1000 });
    } finally {
      tuned.dispose();
    }
  }
}

function runMethod(ctx: MethodContext, method: FinetuneMethod, config: unknown): Promise<MethodOutcome> {
  switch (method) {
    case "full": return runFull(ctx);
    case "lora": return runLora(ctx, config as LoraConfig);
    case "s2ft": return runS2ft(ctx, config as S2ftConfig);
    case "sara": return runSara(ctx, config as SaraConfig);
    case "ltsft": return runLtsft(ctx, config as LtsftConfig);
  }
}

interface ResultParts<M extends FinetuneMethod> {
  readonly method: M;
  readonly config: MethodConfig<M>;
  readonly recipe: FinetuneRecipe;
  readonly pre: Net;
  readonly outcome: MethodOutcome;
  readonly metrics: FinetuneMetrics;
  readonly trainSeconds: number;
  readonly seconds: number;
}

/** What a fine-tuning run produced. The base net is untouched: `applyTo(pre)` builds the tuned one. */
export class FinetuneResult<M extends FinetuneMethod = FinetuneMethod> {
  readonly method: M;
  readonly config: MethodConfig<M>;
  readonly recipe: FinetuneRecipe;
  /** θ − θ₀ (LoRA: the merged update) in the base's coordinates. */
  readonly delta: SparseDelta;
  /** The unmerged adapter (LoRA only). */
  readonly adapter: M extends "lora" ? LoraAdapter : undefined;
  readonly metrics: FinetuneMetrics;
  /** Parameters the optimizer updated (largest phase). */
  readonly trainableParameters: number;
  /** Bytes of optimizer state (float32 slots; largest phase). */
  readonly optimizerStateBytes: number;
  /** Median wall-clock ms per optimizer step of the method's characteristic phase. */
  readonly stepMs: number;
  readonly steps: number;
  /** Training time; `seconds` adds evaluation. */
  readonly trainSeconds: number;
  readonly seconds: number;
  readonly losses: readonly number[];
  readonly details: Readonly<Record<string, unknown>>;
  readonly #pre: Net;

  constructor(parts: ResultParts<M>) {
    const { outcome } = parts;
    this.method = parts.method;
    this.config = parts.config;
    this.recipe = parts.recipe;
    this.delta = outcome.delta;
    this.adapter = outcome.adapter as M extends "lora" ? LoraAdapter : undefined;
    this.metrics = parts.metrics;
    this.trainableParameters = outcome.trainableParameters;
    this.optimizerStateBytes = outcome.optimizerStateBytes;
    this.stepMs = median(outcome.stepMs.slice(Math.min(3, outcome.stepMs.length - 1)));
    this.steps = outcome.steps;
    this.trainSeconds = parts.trainSeconds;
    this.seconds = parts.seconds;
    this.losses = outcome.losses;
    this.details = outcome.details;
    this.#pre = parts.pre;
    Object.freeze(this);
  }

  /** A new net: the base with this result's delta added. */
  tuned(): Net {
    return this.delta.applyTo(this.#pre);
  }

  /** The summary row a notebook keeps. */
  toJSON() {
    return {
      method: this.method, config: this.config, testAccuracy: this.metrics.testAccuracy, valAccuracy: this.metrics.valAccuracy,
      evaluations: Object.fromEntries(Object.entries(this.metrics.evaluations).map(([k, v]) => [k, v.accuracy])),
      trainableParameters: this.trainableParameters, optimizerStateBytes: this.optimizerStateBytes, stepMs: this.stepMs,
      steps: this.steps, deltaEntries: this.delta.nnz, trainSeconds: this.trainSeconds,
    };
  }

  [DISPLAY](): MimeBundle {
    const text = `FinetuneResult(${this.method}): test accuracy ${this.metrics.testAccuracy.toFixed(4)}, ` +
      `${this.trainableParameters} trainable, ${this.optimizerStateBytes} optimizer bytes, ${this.stepMs.toFixed(1)} ms/step, ${this.delta.nnz} delta entries`;
    const rows: [string, string | number][] = [
      ["test accuracy", this.metrics.testAccuracy], ["validation accuracy", this.metrics.valAccuracy],
      ...Object.entries(this.metrics.evaluations).map(([k, v]) => [`${k} accuracy`, v.accuracy] as [string, number]),
      ["trainable parameters", this.trainableParameters], ["optimizer state (bytes)", this.optimizerStateBytes],
      ["step time (ms, median)", this.stepMs], ["steps", this.steps], ["delta entries", this.delta.nnz],
    ];
    return { "text/plain": text, "text/html": `<p>${this.method}</p>` + htmlTable(["", "value"], rows) };
  }
}

/** `net.finetune(options)`: validates the options and starts a plan. */
export function finetune(net: Net, options: FinetuneOptions): FinetunePlan {
  if (!(net instanceof Net)) throw argError("finetune", "net", "a sparselab Net (e.g. await sl.finetune.pretrainedVit())", net);
  const { task, train, evaluate } = validateFinetuneOptions(options, net.spec.seed);
  if (task.features !== net.features) throw argError("finetune", "task", `a task with ${net.features} input features (as the net takes)`, task.features);
  if (task.numClasses > headWidth(net)) throw argError("finetune", "task", `classes within the net's ${headWidth(net)} outputs`, task.classes);
  return new FinetunePlanImpl({ net, task, train, evaluate });
}

function headWidth(net: Net): number {
  const spec = net.spec;
  return spec.kind === "mlp" ? spec.sizes[spec.sizes.length - 1] : spec.kind === "vit" ? spec.classes : spec.dense[spec.dense.length - 1];
}

export type { OptimizerSpec };
