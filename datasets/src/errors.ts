/**
 * One error shape for every public entry: `call(arg): expected ..., received ...`, so a message
 * always says where the bad value went in, what was wanted and what arrived.
 */
export function invalid(where: string, expected: string, received: string): Error {
  return new Error(`${where}: expected ${expected}, received ${received}`);
}

/** Renders a received value for a message: strings quoted, plain data as short JSON. */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || typeof value !== "object") return String(value);
  if (Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype) {
    const json = JSON.stringify(value);
    return json.length > 80 ? `${json.slice(0, 77)}...` : json;
  }
  return Object.prototype.toString.call(value);
}

/** Names an argument or one of its keys: `argName("fashionMnist", "options")("path")` → `fashionMnist(options.path)`. */
export interface ArgName {
  (key?: string): string;
  readonly call: string;
}

export function argName(call: string, arg: string): ArgName {
  return Object.assign((key?: string) => `${call}(${key === undefined ? arg : `${arg}.${key}`})`, { call });
}
