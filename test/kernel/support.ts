import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { onTestFinished } from "vitest";

export const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, "../..");
export const fixture = (name: string) => join(here, "fixtures", name);
/** A fresh folder, removed when the calling test finishes. */
export function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sparselab-test-${label}-`));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The Debian Python that has Jupyter (a pyenv `python3` on PATH does not). */
export const systemPython = "/usr/bin/python3";

/** nbformat's own validator: throws with its message when the notebook is not valid nbformat 4. */
export function validateNotebook(path: string): void {
  const check = spawnSync(systemPython, ["-c", "import nbformat, sys; nbformat.validate(nbformat.read(sys.argv[1], as_version=4))", path], {
    encoding: "utf8",
  });
  if (check.status !== 0) throw new Error(`nbformat rejected ${path}:\n${check.stderr}`);
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the compiled CLI the way npm scripts do. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const result = spawnSync(process.execPath, [join(repoRoot, "kernel-ext/dist/cli.js"), ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
