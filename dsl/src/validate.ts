import { argError } from "./errors.js";

/** Small checks shared by every public entry point; each throws `argError` naming call and argument. */

export function checkNumberIn(call: string, arg: string, value: unknown, min: number, max: number,
  { minOpen = false, maxOpen = false } = {}): number {
  const ok = typeof value === "number" && Number.isFinite(value) &&
    (minOpen ? value > min : value >= min) && (maxOpen ? value < max : value <= max);
  if (!ok) throw argError(call, arg, `a number in ${minOpen ? "(" : "["}${min}, ${max}${maxOpen ? ")" : "]"}`, value);
  return value as number;
}

export function checkSparsity(call: string, arg: string, value: unknown): number {
  return checkNumberIn(call, arg, value, 0, 1, { maxOpen: true });
}

export function checkPositiveInt(call: string, arg: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) throw argError(call, arg, "a positive integer", value);
  return value;
}

export function checkNonNegativeInt(call: string, arg: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) throw argError(call, arg, "a non-negative integer", value);
  return value;
}

export function checkPositive(call: string, arg: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) throw argError(call, arg, "a positive number", value);
  return value;
}

export function checkOneOf<T extends string>(call: string, arg: string, value: unknown, options: readonly T[]): T {
  if (typeof value !== "string" || !(options as readonly string[]).includes(value)) {
    throw argError(call, arg, `one of ${options.map((o) => JSON.stringify(o)).join(" | ")}`, value);
  }
  return value as T;
}

export function checkPlainObject(call: string, arg: string, value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw argError(call, arg, "an object", value);
  return value as Record<string, unknown>;
}

/** Rejects keys the caller does not know: a typo in an option must not be silently ignored. */
export function checkKnownKeys(call: string, arg: string, value: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw argError(call, `${arg}.${key}`, `no such option (known: ${known.join(", ")})`, value[key]);
  }
}
