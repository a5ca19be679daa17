import { argError } from "./errors.js";

/** Two-sided 97.5% quantiles of Student's t for 1…30 degrees of freedom (beyond: the normal 1.96). */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

export interface Interval {
  readonly mean: number;
  readonly lo: number;
  readonly hi: number;
  readonly n: number;
  /** Sample standard deviation (0 for a single value). */
  readonly sd: number;
}

/**
 * Mean with a 95% Student-t confidence interval. With one value the interval is the point itself
 * (n says how little that means); reproductions should run ≥ 3 seeds.
 */
export function meanInterval(values: readonly number[]): Interval {
  if (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== "number" || Number.isNaN(v))) {
    throw argError("meanInterval", "values", "a non-empty array of numbers", values);
  }
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  const half = n > 1 ? (T975[n - 2] ?? 1.96) * (sd / Math.sqrt(n)) : 0;
  return { mean, lo: mean - half, hi: mean + half, n, sd };
}

/** Groups rows by a key and summarises one numeric field per group. */
export function summarise<T>(rows: readonly T[], key: (row: T) => string, value: (row: T) => number): Map<string, Interval> {
  const groups = new Map<string, number[]>();
  for (const row of rows) {
    const k = key(row);
    groups.set(k, [...(groups.get(k) ?? []), value(row)]);
  }
  return new Map([...groups].map(([k, vs]) => [k, meanInterval(vs)]));
}
