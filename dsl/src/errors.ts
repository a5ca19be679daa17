/**
 * Every error a user can cause names the call, the argument and what was received, e.g.
 * `erk(sparsity): expected a number in [0, 1), received 1.5`.
 */
export class SparselabError extends Error {
  override readonly name = "SparselabError";
}

/** Renders a received value briefly and unambiguously for an error message. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? value.slice(0, 57) + "..." : value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (Array.isArray(value)) return value.length > 8 ? `an array of length ${value.length}` : JSON.stringify(value);
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as unknown as ArrayLike<unknown>).length}`;
  if (typeof value === "function") return "a function";
  try {
    const json = JSON.stringify(value);
    return json.length > 80 ? json.slice(0, 77) + "..." : json;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** `call(arg): expected <expected>, received <value>` */
export function argError(call: string, arg: string, expected: string, received: unknown): SparselabError {
  return new SparselabError(`${call}(${arg}): expected ${expected}, received ${describeValue(received)}`);
}
