/**
 * Argument errors in sparselab's format: `call(arg): expected <what>, received <value>`, e.g.
 * `maskHeatmap(options.maxCells): expected a positive integer, received 0`.
 */

/** Renders a received value briefly and unambiguously for an error message. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? value.slice(0, 57) + "..." : value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (typeof value === "symbol") return value.toString();
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return value.length > 8 ? `an array of length ${value.length}` : brief(value);
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as unknown as ArrayLike<unknown>).length}`;
  const name = (value as object).constructor?.name;
  if (name && name !== "Object") return `a ${name}`;
  return brief(value);
}

function brief(value: unknown): string {
  try {
    const json = JSON.stringify(value);
    if (json === undefined) return Object.prototype.toString.call(value);
    return json.length > 80 ? json.slice(0, 77) + "..." : json;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** `call(arg): expected <expected>, received <value>` as a TypeError. */
export function argError(call: string, arg: string, expected: string, received: unknown): TypeError {
  return new TypeError(`${call}(${arg}): expected ${expected}, received ${describeValue(received)}`);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Validates an options bag: undefined → {}, else a plain object with only known keys. */
export function checkOptions<K extends string>(call: string, options: unknown, known: readonly K[]): Partial<Record<K, unknown>> {
  if (options === undefined) return {};
  if (!isPlainObject(options)) throw argError(call, "options", "an options object", options);
  for (const key of Object.keys(options)) {
    if (!(known as readonly string[]).includes(key)) {
      throw new TypeError(`${call}(options): expected only the options ${known.join(", ")}, received unknown option ${JSON.stringify(key)}`);
    }
  }
  return options as Partial<Record<K, unknown>>;
}
