import { randomBytes } from "node:crypto";
import type { RunEvent } from "sparselab";
import { argError, checkOptions } from "../display/errors.js";
import { kernelSink, publish, type DisplaySink } from "../display/sink.js";
import type { MimeBundle } from "../display/protocol.js";
import { progressHtml, progressText, type ProgressState } from "./render.js";

/** Where a progress bar draws. `auto`: the notebook when in a kernel, else the terminal, else log lines. */
export type ProgressOutput = "auto" | "kernel" | "tty" | "lines" | "silent";

export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProgressOptions {
  /** Shown first, so several runs in one notebook can be told apart (default: the run's label, if any). */
  readonly label?: string;
  /** Steps in all, for manual use with `advance()` (a run's `start` event sets it otherwise). */
  readonly total?: number;
  readonly output?: ProgressOutput;
  /** Least time between two redraws, in ms (default 250: at most 4 updates per second). */
  readonly interval?: number;
  /** Weight of the history in the loss's moving average, in [0, 1) (default 0.9; 0 shows the raw loss). */
  readonly smoothing?: number;
  /** Milliseconds from a fixed origin (default `performance.now`); tests inject one. */
  readonly clock?: () => number;
  /** Terminal / log output (default `process.stdout`). */
  readonly stream?: ProgressStream;
  /** Display sink for `output: "kernel"` (default: the running kernel's). */
  readonly sink?: DisplaySink;
}

/**
 * A run-event listener that draws progress, plus manual controls for loops of your own.
 * Pass it as `onEvent`; or call `advance()` per item and `done()` at the end.
 */
export interface ProgressBar {
  (event: RunEvent): void;
  /** Counts `count` (default 1) steps done, with an optional note shown after the numbers. */
  advance(note?: string, count?: number): void;
  /** Marks the work finished and draws the final state (always drawn). */
  done(note?: string): void;
  /** What is shown now. */
  readonly state: ProgressState;
  /** How many times it has drawn (kernel updates, terminal rewrites or log lines). */
  readonly renders: number;
  /** The display id in a notebook (a new one per run). */
  readonly displayId: string | undefined;
}

interface Mutable {
  label?: string;
  unit: "step" | "item";
  status: ProgressState["status"];
  step: number;
  total?: number;
  epoch?: number;
  epochs?: number;
  loss?: number;
  lr?: number;
  valAccuracy?: number;
  testAccuracy?: number;
  density?: number;
  note?: string;
  startedAt?: number;
  /** Debiased EMA of the loss: running mean and the weight it has accumulated. */
  ema: number;
  emaWeight: number;
  /** The step the count had when the current run (or manual bar) started. */
  stepAtStart: number;
}

const newId = () => `sparselab-progress-${randomBytes(6).toString("hex")}`;

/**
 * Progress of sparselab runs, drawn in place: in a notebook one HTML bar updated in place
 * (at most `1000 / interval` times per second, the first and last state always drawn), in a
 * terminal one line rewritten with `\r`, elsewhere (CI logs) one line per epoch.
 *
 *   const bar = progressBar({ label: "rigl 90%" });
 *   await plan.run({ onEvent: bar });
 *
 *   const sweep = progressBar({ label: "sweep", total: runs.length });
 *   for (const r of runs) { …; sweep.advance(`${r.name}: ${acc}`); }
 *   sweep.done();
 */
export function progressBar(options?: ProgressOptions): ProgressBar {
  const call = "progressBar";
  const opts = checkOptions(call, options, ["label", "total", "output", "interval", "smoothing", "clock", "stream", "sink"]);
  if (opts.label !== undefined && typeof opts.label !== "string") throw argError(call, "options.label", "a string", opts.label);
  if (opts.total !== undefined && !(typeof opts.total === "number" && Number.isInteger(opts.total) && opts.total >= 0)) {
    throw argError(call, "options.total", "a non-negative integer", opts.total);
  }
  const outputs: readonly ProgressOutput[] = ["auto", "kernel", "tty", "lines", "silent"];
  if (opts.output !== undefined && !outputs.includes(opts.output as ProgressOutput)) {
    throw argError(call, "options.output", `one of ${outputs.map((o) => `"${o}"`).join(", ")}`, opts.output);
  }
  const interval = opts.interval ?? 250;
  if (typeof interval !== "number" || !(interval >= 0) || !Number.isFinite(interval)) throw argError(call, "options.interval", "a number of milliseconds ≥ 0", interval);
  const smoothing = opts.smoothing ?? 0.9;
  if (typeof smoothing !== "number" || !(smoothing >= 0 && smoothing < 1)) throw argError(call, "options.smoothing", "a number in [0, 1)", smoothing);
  if (opts.clock !== undefined && typeof opts.clock !== "function") throw argError(call, "options.clock", "a function returning milliseconds", opts.clock);
  const stream = (opts.stream ?? process.stdout) as ProgressStream;
  if (stream === null || typeof stream !== "object" || typeof stream.write !== "function") throw argError(call, "options.stream", "a writable stream", stream);
  if (opts.sink !== undefined && typeof opts.sink !== "function") throw argError(call, "options.sink", "a display sink function", opts.sink);
  const clock = (opts.clock as (() => number) | undefined) ?? (() => performance.now());

  // The cell that creates the bar owns its output: take the kernel's sink now.
  let sink = (opts.sink as DisplaySink | undefined) ?? kernelSink();
  const requested = (opts.output as ProgressOutput | undefined) ?? "auto";
  let output: Exclude<ProgressOutput, "auto"> =
    requested !== "auto" ? requested : sink ? "kernel" : stream.isTTY ? "tty" : "lines";
  if (output === "kernel" && !sink) throw argError(call, "options.output", "\"kernel\" only inside a Jupyter kernel (or with options.sink)", output);

  const s: Mutable = { label: opts.label as string | undefined, status: "idle", unit: "step", step: 0, total: opts.total as number | undefined, ema: 0, emaWeight: 0, stepAtStart: 0 };
  let displayId: string | undefined;
  let displayed = false;
  let lastDraw: number | undefined;
  let renders = 0;
  let lastLineDecile = -1;

  const snapshot = (): ProgressState => {
    const now = clock();
    const elapsed = s.startedAt === undefined ? 0 : Math.max(0, (now - s.startedAt) / 1000);
    const done = s.step - s.stepAtStart;
    const rate = elapsed > 0 && done > 0 ? done / elapsed : undefined;
    const eta = rate !== undefined && s.total !== undefined && s.status === "running" ? Math.max(0, s.total - s.step) / rate : undefined;
    const { label, status, unit, step, total, epoch, epochs, loss, lr, valAccuracy, testAccuracy, density, note } = s;
    return strip({ label, status, step, total, epoch, epochs, loss, lr, valAccuracy, testAccuracy, density, note, elapsed, rate, eta, unit });
  };

  const start = () => {
    s.startedAt = clock();
    s.stepAtStart = s.step;
    s.status = "running";
  };

  /** Draws now when forced or when `interval` has passed since the last draw; else skips. */
  const draw = (force: boolean, line = false) => {
    const now = clock();
    if (!force && lastDraw !== undefined && now - lastDraw < interval) return;
    lastDraw = now;
    const state = snapshot();
    try {
      if (output === "kernel") {
        displayId ??= newId();
        const bundle: MimeBundle = { "text/plain": progressText(state), "text/html": progressHtml(state) };
        publish(sink!, bundle, {}, displayId, displayed);
        displayed = true;
      } else if (output === "tty") {
        const width = Math.max(20, (stream.columns ?? 100) - 1);
        const text = progressText(state, { bar: true });
        stream.write(`\r${text.length > width ? text.slice(0, width - 1) + "…" : text}\x1b[K${state.status === "done" ? "\n" : ""}`);
      } else if (output === "lines") {
        if (!line) return; // log lines only at epoch boundaries, starts and ends
        stream.write(progressText(state, { bar: false }) + "\n");
      } else {
        return;
      }
      renders++;
    } catch (error) {
      // A display that cannot draw must never stop the training it watches: fall back to log lines.
      if (output === "kernel" || output === "tty") {
        output = "lines";
        sink = undefined;
        stream.write(`[progress display failed: ${error instanceof Error ? error.message : String(error)}; continuing with log lines]\n`);
      }
    }
  };

  const onEvent = (event: RunEvent) => {
    if (event === null || typeof event !== "object") return;
    switch (event.type) {
      case "start": {
        const fresh = s.status === "done";
        if (fresh) {
          // A second run through the same listener gets its own bar.
          displayId = undefined;
          displayed = false;
          lastDraw = undefined;
          s.valAccuracy = s.testAccuracy = s.loss = s.note = undefined;
        }
        s.status = "idle";
        s.unit = "step";
        s.step = 0;
        s.stepAtStart = 0;
        s.total = event.totalSteps;
        s.epochs = event.epochs;
        s.epoch = 0;
        s.ema = s.emaWeight = 0;
        s.density = event.report?.overall?.density;
        if (opts.label === undefined && event.label !== undefined) s.label = event.label;
        start();
        draw(true, true);
        return;
      }
      case "step": {
        if (s.status !== "running") start();
        s.step = event.step;
        s.epoch = event.epoch;
        s.lr = event.lr;
        if (Number.isFinite(event.loss)) {
          s.ema = smoothing * s.ema + (1 - smoothing) * event.loss;
          s.emaWeight = smoothing * s.emaWeight + (1 - smoothing);
          s.loss = s.ema / s.emaWeight;
        }
        draw(false);
        return;
      }
      case "epoch": {
        s.step = event.step;
        s.epoch = event.epoch;
        if (Number.isFinite(event.record.valAccuracy)) s.valAccuracy = event.record.valAccuracy;
        s.density = event.record.density;
        if (output === "lines") draw(true, true);
        else draw(false);
        return;
      }
      case "mask": {
        s.step = event.step;
        s.density = event.report.overall.density;
        draw(false);
        return;
      }
      case "end": {
        s.step = event.step;
        s.testAccuracy = event.testAccuracy;
        s.status = "done";
        draw(true, true);
        return;
      }
      default:
        return; // events added later are ignored, not errors
    }
  };

  const advance = (note?: string, count = 1) => {
    if (note !== undefined && typeof note !== "string") throw argError("ProgressBar.advance", "note", "a string", note);
    if (typeof count !== "number" || !Number.isInteger(count) || count < 0) throw argError("ProgressBar.advance", "count", "a non-negative integer", count);
    s.unit = "item";
    if (s.status !== "running") {
      const first = s.status === "idle";
      start();
      if (first) draw(true, false);
    }
    s.step += count;
    if (note !== undefined) s.note = note;
    // In logs: a line per noted item, else one per tenth of the total.
    let line = note !== undefined;
    if (!line && s.total) {
      const decile = Math.floor((10 * s.step) / s.total);
      line = decile > lastLineDecile;
      if (line) lastLineDecile = decile;
    }
    draw(output === "lines" && line, line);
  };

  const done = (note?: string) => {
    if (note !== undefined && typeof note !== "string") throw argError("ProgressBar.done", "note", "a string", note);
    if (s.status === "idle") start();
    if (note !== undefined) s.note = note;
    s.status = "done";
    draw(true, true);
  };

  const bar = ((event: RunEvent) => {
    try {
      onEvent(event);
    } catch {
      // never let a progress display break a run
    }
  }) as ProgressBar;
  Object.defineProperties(bar, {
    advance: { value: advance },
    done: { value: done },
    state: { get: snapshot },
    renders: { get: () => renders },
    displayId: { get: () => displayId },
  });
  return bar;
}

function strip<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
