/** Checks for values arriving from users and JSON specs; each throws in the shared error shape. */
import { describe, invalid } from "./errors.js";

export function expectInteger(value: unknown, where: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = min === Number.MIN_SAFE_INTEGER ? "an integer" : max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`;
    throw invalid(where, range, describe(value));
  }
  return value;
}

export function expectNumber(value: unknown, where: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    throw invalid(where, `a number in [${min}, ${max}]`, describe(value));
  }
  return value;
}

export function expectBoolean(value: unknown, where: string): boolean {
  if (typeof value !== "boolean") throw invalid(where, "a boolean", describe(value));
  return value;
}

export function expectNonEmptyString(value: unknown, where: string): string {
  if (typeof value !== "string" || value === "") throw invalid(where, "a non-empty string", describe(value));
  return value;
}

export function expectOneOf<const T extends string>(value: unknown, where: string, choices: readonly T[]): T {
  if (!choices.includes(value as T)) throw invalid(where, `one of ${choices.map((c) => JSON.stringify(c)).join(", ")}`, describe(value));
  return value as T;
}

/** A plain object whose keys are all in `allowed`; `undefined` counts as `{}`. */
export function expectOptions(value: unknown, where: string, allowed: readonly string[]): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw invalid(where, "an object", describe(value));
  const unknown = Object.keys(value).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    throw invalid(where, `only the keys ${allowed.join(", ")}`, `unknown key${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => JSON.stringify(k)).join(", ")}`);
  }
  return value as Record<string, unknown>;
}
