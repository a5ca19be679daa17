import { createHash } from "node:crypto";
import { invalid } from "./errors.js";

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Throws when `bytes` do not hash to `expected`; `what` says which bytes were hashed and from where. */
export function expectSha256(bytes: Uint8Array, expected: string, where: string, what: string): void {
  const actual = sha256Hex(bytes);
  if (actual !== expected) {
    throw invalid(where, `${what} to have SHA-256 ${expected}`, `${actual} (corrupt, truncated or a different file)`);
  }
}
