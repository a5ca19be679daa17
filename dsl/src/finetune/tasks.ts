/**
 * Downstream tasks for fine-tuning experiments, built from Fashion-MNIST as typed arrays: a task
 * is a class subset in a pixel domain (original, inverted, rotated). Its loss and accuracy are
 * taken over its own classes only (the other logits are masked out), so two tasks on disjoint
 * classes touch disjoint columns of the classifier head.
 */
import { fashionMnist, loadDataset, Rng, selectExamples, type Dataset, type DatasetSpec, type FashionMnistOptions, type Split } from "@sparselab/datasets";
import { argError } from "../errors.js";
import { checkKnownKeys, checkNonNegativeInt, checkOneOf, checkPlainObject, checkPositiveInt } from "../validate.js";

export const DOMAINS = ["original", "inverted", "rotated"] as const;
/** original pixels; inverted (1 − p); rotated by 90° clockwise. */
export type Domain = (typeof DOMAINS)[number];

export interface Task {
  readonly name: string;
  /** The classes the task distinguishes (labels keep their dataset ids). */
  readonly classes: readonly number[];
  readonly domain: Domain;
  readonly inputShape: readonly [number, number, number];
  readonly features: number;
  /** Total classes of the dataset (the width of a net's head). */
  readonly numClasses: number;
  readonly train: Split;
  readonly validation: Split;
  readonly test: Split;
  /** Where the examples came from (set by `task`): what a recipe needs to rebuild the task. */
  readonly origin?: TaskOrigin;
}

/** The dataset and example choice behind a task: `rebuildTask` reloads the same examples from it. */
export interface TaskOrigin {
  /** The dataset's resolved spec (`pixels: "unit"`). */
  readonly data: DatasetSpec;
  readonly trainPerClass?: number;
  readonly testPerClass?: number;
  readonly seed: number;
}

/** How a task is described in a plan's JSON (its examples are not part of it). */
export interface TaskDescription {
  readonly name: string;
  readonly classes: readonly number[];
  readonly domain: Domain;
  readonly sizes: { readonly train: number; readonly validation: number; readonly test: number };
  readonly origin?: TaskOrigin;
}

export function describeTask(task: Task): TaskDescription {
  return {
    name: task.name, classes: [...task.classes], domain: task.domain,
    sizes: { train: task.train.size, validation: task.validation.size, test: task.test.size },
    ...(task.origin && { origin: task.origin }),
  };
}

/**
 * The task a description names, with the same examples: reloads its dataset and repeats the
 * choice. The sizes are checked, so a different copy of the data is an error, not a silent change.
 */
export async function rebuildTask(value: unknown, call = "rebuildTask", arg = "task"): Promise<Task> {
  const d = checkPlainObject(call, arg, value);
  checkKnownKeys(call, arg, d, ["name", "classes", "domain", "sizes", "origin"]);
  if (d.origin === undefined) throw argError(call, `${arg}.origin`, "the dataset the task came from (tasks made by sl.finetune.task or fashionTasks record it)", d.origin);
  const origin = checkPlainObject(call, `${arg}.origin`, d.origin);
  checkKnownKeys(call, `${arg}.origin`, origin, ["data", "trainPerClass", "testPerClass", "seed"]);
  const data = await loadDataset(checkPlainObject(call, `${arg}.origin.data`, origin.data) as unknown as DatasetSpec);
  const rebuilt = task(data, {
    name: typeof d.name === "string" ? d.name : undefined, classes: d.classes as number[], domain: d.domain as Domain,
    trainPerClass: origin.trainPerClass as number | undefined, testPerClass: origin.testPerClass as number | undefined, seed: origin.seed as number,
  });
  const sizes = describeTask(rebuilt).sizes;
  if (JSON.stringify(sizes) !== JSON.stringify(d.sizes)) throw argError(call, `${arg}.sizes`, JSON.stringify(sizes) + " (what its data gives here)", d.sizes);
  return rebuilt;
}

/**
 * The pixel standardisation of the datasets package's "standard" pixels (mean and std of the
 * official training images in [0, 1] units). Tasks apply their domain shift to [0, 1] pixels first
 * and standardise after, so an inverted image is standardised like any other.
 */
export const PIXEL_MEAN = 0.286;
export const PIXEL_STD = 0.353;

export interface TaskOptions {
  readonly name?: string;
  readonly classes: readonly number[];
  readonly domain?: Domain;
  /** At most this many examples per class in train (default: all). */
  readonly trainPerClass?: number;
  /** At most this many examples per class in validation and in test (default: all). */
  readonly testPerClass?: number;
  /** Chooses which examples a per-class limit keeps (default 0). */
  readonly seed?: number;
}

const TASK_KEYS = ["name", "classes", "domain", "trainPerClass", "testPerClass", "seed"] as const;

/** Applies `domain` to [0, 1] pixels of `shape` and standardises them (a new array). */
export function domainPixels(x: Float32Array, size: number, shape: readonly [number, number, number], domain: Domain): Float32Array {
  const [h, w, c] = shape;
  const features = h * w * c;
  const out = new Float32Array(x.length);
  for (let n = 0; n < size; n++) {
    const base = n * features;
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        for (let ch = 0; ch < c; ch++) {
          // rotated: output (y, x) shows input (h−1−x, y) — a 90° clockwise turn of a square image.
          const from = domain === "rotated" ? base + ((h - 1 - xx) * w + y) * c + ch : base + (y * w + xx) * c + ch;
          const p = domain === "inverted" ? 1 - x[from] : x[from];
          out[base + (y * w + xx) * c + ch] = (p - PIXEL_MEAN) / PIXEL_STD;
        }
      }
    }
  }
  return out;
}

function pick(split: Split, classes: readonly number[], perClass: number | undefined, rng: Rng): Int32Array {
  const wanted = new Set(classes);
  const order = perClass === undefined ? Int32Array.from({ length: split.size }, (_, i) => i) : rng.permutation(split.size);
  const counts = new Map<number, number>();
  const chosen: number[] = [];
  for (const i of order) {
    const label = split.y[i];
    if (!wanted.has(label)) continue;
    const n = counts.get(label) ?? 0;
    if (perClass !== undefined && n >= perClass) continue;
    counts.set(label, n + 1);
    chosen.push(i);
  }
  return Int32Array.from(chosen.sort((a, b) => a - b));
}

/**
 * A task from a dataset loaded with `pixels: "unit"`: the examples of `classes` (optionally at
 * most N per class, chosen by `seed`), shifted into `domain` and standardised.
 */
export function task(data: Dataset, options: TaskOptions): Task {
  const call = "task";
  if (typeof data !== "object" || data === null || !("train" in data) || !("spec" in data)) throw argError(call, "data", "a Dataset", data);
  if ((data.spec as { pixels?: string }).pixels !== "unit") {
    throw argError(call, "data", 'a dataset loaded with pixels: "unit" (tasks standardise after the domain shift)', (data.spec as { pixels?: string }).pixels);
  }
  const o = checkPlainObject(call, "options", options);
  checkKnownKeys(call, "options", o, TASK_KEYS);
  if (!Array.isArray(o.classes) || o.classes.length < 2 || new Set(o.classes).size !== o.classes.length ||
      o.classes.some((c) => !Number.isInteger(c) || c < 0 || c >= data.numClasses)) {
    throw argError(call, "classes", `at least 2 distinct class ids in [0, ${data.numClasses})`, o.classes);
  }
  const classes = [...(o.classes as number[])].sort((a, b) => a - b);
  const domain = o.domain === undefined ? "original" : checkOneOf(call, "domain", o.domain, DOMAINS);
  if (domain === "rotated" && data.inputShape[0] !== data.inputShape[1]) throw argError(call, "domain", "a square image for rotation", data.inputShape);
  const trainPerClass = o.trainPerClass === undefined ? undefined : checkPositiveInt(call, "trainPerClass", o.trainPerClass);
  const testPerClass = o.testPerClass === undefined ? undefined : checkPositiveInt(call, "testPerClass", o.testPerClass);
  const seed = checkNonNegativeInt(call, "seed", o.seed ?? 0);
  const name = o.name === undefined ? `classes ${classes.join(",")} (${domain})` : String(o.name);
  const make = (split: Split, perClass: number | undefined, label: string): Split => {
    const chosen = selectExamples(split, pick(split, classes, perClass, Rng.derive(seed, `task/${label}`)));
    return { x: domainPixels(chosen.x, chosen.size, data.inputShape, domain), y: chosen.y, size: chosen.size };
  };
  return Object.freeze({
    name, classes: Object.freeze(classes), domain, inputShape: data.inputShape, features: data.features, numClasses: data.numClasses,
    train: make(data.train, trainPerClass, "train"),
    validation: make(data.validation, testPerClass, "validation"),
    test: make(data.test, testPerClass, "test"),
    origin: Object.freeze({ data: data.spec, ...(trainPerClass !== undefined && { trainPerClass }), ...(testPerClass !== undefined && { testPerClass }), seed }),
  });
}

/** The four tasks of the fine-tuning experiments (see `fashionTasks`). */
export interface FashionTasks {
  /** Which Fashion-MNIST the tasks came from: the full 60k/10k set or the embedded subset. */
  readonly data: "full" | "embedded" | "synthetic";
  /** Classes 0–4, original pixels: what the shipped ViT was pretrained on. */
  readonly source: Task;
  /** Classes 5–9, original pixels: new classes. */
  readonly newClasses: Task;
  /** Classes 0–4 in the shifted domain: the same classes, new pixels (a "domain" task). */
  readonly shifted: Task;
  /** Classes 5–9 in the shifted domain: the zero-shot target of the composition experiment. */
  readonly transfer: Task;
}

export interface FashionTasksOptions {
  /** Where Fashion-MNIST comes from (see `fashionMnist`; default "auto"). */
  readonly source?: FashionMnistOptions["source"];
  /** The shifted domain (default "inverted"). */
  readonly domain?: Exclude<Domain, "original">;
  readonly trainPerClass?: number;
  readonly testPerClass?: number;
  readonly seed?: number;
}

/** Loads Fashion-MNIST ([0, 1] pixels) and builds the source, new-class, shifted and transfer tasks. */
export async function fashionTasks(options: FashionTasksOptions = {}): Promise<FashionTasks> {
  const call = "fashionTasks";
  const o = checkPlainObject(call, "options", options);
  checkKnownKeys(call, "options", o, ["source", "domain", "trainPerClass", "testPerClass", "seed"]);
  const domain = o.domain === undefined ? "inverted" : checkOneOf(call, "domain", o.domain, ["inverted", "rotated"] as const);
  const data = await fashionMnist({ source: options.source ?? "auto", pixels: "unit" });
  const limits = { trainPerClass: options.trainPerClass, testPerClass: options.testPerClass, seed: options.seed };
  const first = [0, 1, 2, 3, 4];
  const second = [5, 6, 7, 8, 9];
  return Object.freeze({
    data: data.source,
    source: task(data, { name: "source: classes 0–4", classes: first, ...limits }),
    newClasses: task(data, { name: "new classes 5–9", classes: second, ...limits }),
    shifted: task(data, { name: `${domain} classes 0–4`, classes: first, domain, ...limits }),
    transfer: task(data, { name: `${domain} classes 5–9`, classes: second, domain, ...limits }),
  });
}

export function isTask(value: unknown): value is Task {
  return typeof value === "object" && value !== null && "classes" in value && "domain" in value && "train" in value && "test" in value;
}
