import { argError, checkOptions, isPlainObject } from "../display/errors.js";

/** Input checks for the chart builders; every error names the call, the argument and the value. */

export type Rec = Record<string, unknown>;

/** A non-empty array of objects. */
export function checkRecords(call: string, arg: string, rows: unknown, what = "row objects"): Rec[] {
  if (!Array.isArray(rows) || rows.length === 0) throw argError(call, arg, `a non-empty array of ${what}`, rows);
  rows.forEach((row: unknown, i) => {
    if (row === null || typeof row !== "object" || Array.isArray(row)) throw argError(call, `${arg}[${i}]`, `an object`, row);
  });
  return rows as Rec[];
}

export interface Range {
  readonly min?: number;
  readonly max?: number;
  /** Excludes `min` / `max` themselves. */
  readonly openMin?: boolean;
  readonly openMax?: boolean;
}

function rangeText(range: Range): string {
  if (range.min === undefined && range.max === undefined) return "a finite number";
  if (range.max === undefined) return `a number ${range.openMin ? ">" : "≥"} ${range.min}`;
  if (range.min === undefined) return `a number ${range.openMax ? "<" : "≤"} ${range.max}`;
  return `a number in ${range.openMin ? "(" : "["}${range.min}, ${range.max}${range.openMax ? ")" : "]"}`;
}

export function checkNumber(call: string, arg: string, value: unknown, range: Range = {}): number {
  const ok = typeof value === "number" && Number.isFinite(value) &&
    (range.min === undefined || (range.openMin ? value > range.min : value >= range.min)) &&
    (range.max === undefined || (range.openMax ? value < range.max : value <= range.max));
  if (!ok) throw argError(call, arg, rangeText(range), value);
  return value as number;
}

export function checkOptionalNumber(call: string, arg: string, value: unknown, range: Range = {}): number | undefined {
  return value === undefined || value === null ? undefined : checkNumber(call, arg, value, range);
}

export function checkInteger(call: string, arg: string, value: unknown, min = 0): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw argError(call, arg, min === 1 ? "a positive integer" : min === 0 ? "a non-negative integer" : `an integer ≥ ${min}`, value);
  }
  return value;
}

export function checkString(call: string, arg: string, value: unknown): string {
  if (typeof value !== "string" || value === "") throw argError(call, arg, "a non-empty string", value);
  return value;
}

/** Label-ish fields may be numbers too (a width, a seed): they become strings. */
export function checkLabel(call: string, arg: string, value: unknown): string {
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return checkString(call, arg, value);
}

/** `{ title?, width?, height? }`, the options every builder takes, plus its own keys. */
export interface ChartOptions {
  /** Chart title (each builder has a default). */
  readonly title?: string;
  /** Width of one panel in pixels. */
  readonly width?: number;
  /** Height of one panel in pixels. */
  readonly height?: number;
}

export function checkChartOptions<K extends string>(call: string, options: unknown, own: readonly K[] = []) {
  const opts = checkOptions(call, options, ["title", "width", "height", ...own]);
  if (opts.title !== undefined && typeof opts.title !== "string") throw argError(call, "options.title", "a string", opts.title);
  const size = (key: "width" | "height") => opts[key] === undefined ? undefined : checkInteger(call, `options.${key}`, opts[key], 20);
  return { opts, title: opts.title as string | undefined, width: size("width"), height: size("height") };
}

export { isPlainObject };
