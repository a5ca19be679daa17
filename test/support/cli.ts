import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect } from "vitest";

/** The built CLI (`npm test` builds first; `npm run build` by hand). */
export const MAIN = fileURLToPath(new URL("../../dsl/dist/cli/main.js", import.meta.url));

export interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `sparselab ARGS…` without the caller's SPARSELAB_BACKEND, so tests see the default choice. */
export function cli(args: string[], env: Record<string, string> = {}, timeout = 180_000): Promise<Outcome> {
  const { SPARSELAB_BACKEND: _, ...inherited } = process.env;
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { env: { ...inherited, ...env }, timeout }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/** A temporary folder for one test file, removed after its tests. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A successful command's stdout, parsed as JSON. */
export async function cliJson<T = Record<string, any>>(args: string[]): Promise<T> {
  const { code, stdout, stderr } = await cli(args);
  expect(code, stderr).toBe(0);
  return JSON.parse(stdout) as T;
}

/** A failed command: non-zero exit, nothing on stdout, exactly one line on stderr, matching `message`. */
export async function expectOneLineError(args: string[], message: RegExp): Promise<void> {
  const { code, stdout, stderr } = await cli(args);
  expect(code, stderr).not.toBe(0);
  expect(stdout).toBe("");
  const lines = stderr.split("\n").filter((l) => l !== "");
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).toBe(lines[0] + "\n");
  expect(lines[0]).toMatch(message);
}
