import { escapeHtml } from "../tables/format.js";

/** What a progress display shows; pure data, rendered to text or HTML by the functions below. */
export interface ProgressState {
  readonly label?: string;
  readonly status: "idle" | "running" | "done";
  readonly step: number;
  readonly total?: number;
  readonly epoch?: number;
  readonly epochs?: number;
  /** Exponentially smoothed training loss (debiased). */
  readonly loss?: number;
  readonly lr?: number;
  readonly valAccuracy?: number;
  readonly testAccuracy?: number;
  readonly density?: number;
  /** Free text from `advance(note)` / `done(note)`. */
  readonly note?: string;
  /** Seconds since the start. */
  readonly elapsed: number;
  /** Steps (or items, for bars driven by `advance()`) per second since the start. */
  readonly rate?: number;
  /** What is counted: training steps (run events) or items (`advance()`). */
  readonly unit?: "step" | "item";
  /** Seconds left at the current rate. */
  readonly eta?: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** `12 steps/s`, `3.5 it/s`, or below one per second the time per unit: `42s/it`. */
export function formatRate(rate: number, unit: string): string {
  if (rate >= 1) return `${rate >= 10 ? rate.toFixed(0) : rate.toFixed(1)} ${unit}/s`;
  return `${formatDuration(1 / rate)}/${unit === "steps" ? "step" : unit}`;
}

const percent = (x: number, digits = 1) => `${(x * 100).toFixed(digits)}%`;

function fraction(state: ProgressState): number | undefined {
  if (state.status === "done") return 1;
  if (state.total === undefined || state.total <= 0) return undefined;
  return Math.min(1, Math.max(0, state.step / state.total));
}

/** The facts after the bar: `42% 420/1000 · epoch 2/3 · loss 0.4123 · val 85.21% · density 10.00% · 12.3 steps/s · ETA 47s`. */
export function describeProgress(state: ProgressState): string {
  const parts: string[] = [];
  const f = fraction(state);
  const count = state.total !== undefined ? `${state.step}/${state.total}` : `${state.step}`;
  parts.push(f === undefined ? count : `${Math.floor(f * 100)}% ${count}`);
  if (state.epoch !== undefined) parts.push(`epoch ${state.epoch}${state.epochs !== undefined ? `/${state.epochs}` : ""}`);
  if (state.loss !== undefined) parts.push(`loss ${state.loss.toFixed(4)}`);
  if (state.valAccuracy !== undefined) parts.push(`val ${percent(state.valAccuracy, 2)}`);
  if (state.testAccuracy !== undefined) parts.push(`test ${percent(state.testAccuracy, 2)}`);
  if (state.density !== undefined) parts.push(`density ${percent(state.density, state.density < 0.1 ? 2 : 1)}`);
  if (state.status === "done") {
    parts.push(`done in ${formatDuration(state.elapsed)}`);
  } else {
    if (state.rate !== undefined) parts.push(formatRate(state.rate, state.unit === "item" ? "it" : "steps"));
    if (state.eta !== undefined) parts.push(`ETA ${formatDuration(state.eta)}`);
  }
  if (state.note) parts.push(state.note);
  return parts.join(" · ");
}

/** A bar of `width` cells in eighth blocks. */
export function textBar(f: number, width: number): string {
  const eighths = Math.round(Math.min(1, Math.max(0, f)) * width * 8);
  const full = Math.floor(eighths / 8);
  const part = eighths % 8;
  const partial = part > 0 ? " ▏▎▍▌▋▊▉"[part] : "";
  return "█".repeat(full) + partial + " ".repeat(width - full - (partial ? 1 : 0));
}

/** One line for a terminal or a log: `label ▕███▌      ▏ 42% 420/1000 · …` (the bar only when asked). */
export function progressText(state: ProgressState, options: { bar: boolean; barWidth?: number } = { bar: true }): string {
  const f = fraction(state);
  const bar = options.bar && f !== undefined ? `▕${textBar(f, options.barWidth ?? 20)}▏ ` : "";
  return `${state.label ? `${state.label} ` : ""}${bar}${describeProgress(state)}`;
}

/** The HTML bar a notebook shows (self-contained inline styles: survives nbconvert and nbviewer). */
export function progressHtml(state: ProgressState): string {
  const f = fraction(state);
  const color = state.status === "done" ? "#54a24b" : "#4c78a8";
  const bar = f === undefined ? "" :
    `<span style="display:inline-block;width:220px;height:10px;background:#e8e8e8;border-radius:3px;vertical-align:middle;overflow:hidden;margin:0 8px">` +
    `<span style="display:block;height:100%;width:${(f * 100).toFixed(1)}%;background:${color}"></span></span>`;
  const label = state.label ? `<b>${escapeHtml(state.label)}</b>` : "";
  return `<div class="sparselab-progress" style="font-family:monospace;font-size:12px;line-height:1.8">${label}${bar}${escapeHtml(describeProgress(state))}</div>`;
}
