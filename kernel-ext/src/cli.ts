#!/usr/bin/env node
import { realpathSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { installKernel } from "./kernel/install.js";
import { parseParameter, type Parameters } from "./runner/parameters.js";
import { runNotebook, type CellProgress, type NotebookRun } from "./runner/runNotebook.js";

const usage = `usage:
  sparselab run NOTEBOOK... [--fast] [--param NAME=VALUE]... [--out DIR] [--timeout SECONDS] [--kernel NAME]
  sparselab kernel install [--prefix DIR | --user] [--name NAME] [--display-name TEXT]

run       executes each notebook in a fresh kernel; writes DIR/<name>.ipynb and DIR/<name>.html
          (DIR defaults to notebooks/out). --fast sets FAST = true; --param values are JSON when
          they parse, else strings. Failing cells are named by their 1-based position in the
          input notebook, markdown cells counted. Exit code 1 when any notebook fails.
kernel install  writes the kernelspec "sparselab" (default: into the user's Jupyter data dir).`;

/** Bad command-line input: reported as one line, exit code 2. */
class UsageError extends Error {}

interface ParsedArgs {
  positionals: string[];
  flags: Set<string>;
  values: Map<string, string[]>;
}

function parseArgs(call: string, args: string[], flags: string[], valued: string[]): ParsedArgs {
  const parsed: ParsedArgs = { positionals: [], flags: new Set(), values: new Map() };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("--")) {
      parsed.positionals.push(arg);
      continue;
    }
    const [name, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    if (flags.includes(name) && inline === undefined) {
      parsed.flags.add(name);
    } else if (valued.includes(name)) {
      const value = inline ?? args[++i];
      if (value === undefined) throw new UsageError(`${call}(${name}): expected a value, received none`);
      parsed.values.set(name, [...(parsed.values.get(name) ?? []), value]);
    } else {
      throw new UsageError(`${call}(${name}): expected one of ${[...flags, ...valued].join(", ")}, received ${JSON.stringify(arg)}`);
    }
  }
  return parsed;
}

function single(call: string, parsed: ParsedArgs, name: string): string | undefined {
  const values = parsed.values.get(name) ?? [];
  if (values.length > 1) throw new UsageError(`${call}(${name}): expected one value, received ${JSON.stringify(values)}`);
  return values[0];
}

function printProgress(p: CellProgress): void {
  const what = p.cell === null ? "injected-parameters" : `cell ${p.cell}`;
  process.stderr.write(`[${p.step}/${p.steps}] ${what} ${p.status} ${p.seconds.toFixed(1)}s\n`);
}

/** A long cell's latest progress text, at most every 30 s, so a headless run shows it is alive. */
function heartbeat(every = 30_000): (activity: { cell: number | null; text: string }) => void {
  let last = performance.now();
  return ({ cell, text }) => {
    if (performance.now() - last < every) return;
    last = performance.now();
    process.stderr.write(`      cell ${cell ?? "injected"}: ${text.slice(0, 160)}\n`);
  };
}

function printOutcome(run: NotebookRun): void {
  const written = [run.output, run.report].filter(Boolean).join(", ");
  if (run.failure) process.stderr.write(`FAILED ${run.failure.message}\n  partial notebook saved: ${written}\n`);
  else process.stderr.write(`ok ${run.notebook} -> ${written}\n`);
  if (run.reportError) process.stderr.write(`FAILED ${run.notebook}: no HTML report: ${run.reportError}\n`);
}

async function run(args: string[]): Promise<number> {
  const parsed = parseArgs("run", args, ["--fast"], ["--param", "--out", "--timeout", "--kernel"]);
  if (parsed.positionals.length === 0) throw new UsageError(`run(NOTEBOOK): expected at least one .ipynb path, received none`);
  const params: Parameters = {};
  for (const assignment of parsed.values.get("--param") ?? []) {
    try {
      const [name, value] = parseParameter(assignment);
      params[name] = value;
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  const timeoutText = single("run", parsed, "--timeout");
  const timeoutSeconds = timeoutText === undefined ? undefined : Number(timeoutText);
  if (timeoutSeconds !== undefined && !(timeoutSeconds > 0 && Number.isFinite(timeoutSeconds))) {
    throw new UsageError(`run(--timeout): expected a positive number of seconds, received ${JSON.stringify(timeoutText)}`);
  }
  const options = {
    fast: parsed.flags.has("--fast"),
    params,
    outDir: single("run", parsed, "--out"),
    timeoutSeconds,
    kernel: single("run", parsed, "--kernel"),
    onProgress: printProgress,
    onActivity: heartbeat(),
  };
  const failed: string[] = [];
  for (const notebook of parsed.positionals) {
    process.stderr.write(`run ${notebook}\n`);
    try {
      const result = await runNotebook(notebook, options);
      printOutcome(result);
      if (!result.ok || result.reportError) failed.push(notebook);
    } catch (error) {
      process.stderr.write(`FAILED ${(error as Error).message}\n`);
      failed.push(notebook);
    }
  }
  if (failed.length > 0) process.stderr.write(`${failed.length} of ${parsed.positionals.length} notebooks failed: ${failed.join(", ")}\n`);
  return failed.length > 0 ? 1 : 0;
}

function kernelInstall(args: string[]): number {
  const parsed = parseArgs("kernel install", args, ["--user"], ["--prefix", "--name", "--display-name"]);
  if (parsed.positionals.length > 0) {
    throw new UsageError(`kernel install(argv): expected only options, received ${JSON.stringify(parsed.positionals[0])}`);
  }
  const options = {
    prefix: single("kernel install", parsed, "--prefix"),
    user: parsed.flags.has("--user"),
    name: single("kernel install", parsed, "--name"),
    displayName: single("kernel install", parsed, "--display-name"),
  };
  let dir: string;
  try {
    dir = installKernel(options);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  process.stdout.write(`${dir}\n`);
  return 0;
}

async function dispatch(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === "--help" || command === "-h") {
    process.stdout.write(usage + "\n");
    return 0;
  }
  if (command === "run") return run(rest);
  if (command === "kernel" && rest[0] === "install") return kernelInstall(rest.slice(1));
  throw new UsageError(`sparselab(command): expected "run" or "kernel install" (see --help), received ${JSON.stringify(args.slice(0, 2).join(" "))}`);
}

/** Runs `sparselab run|kernel …` and returns the exit code; also the entry of the `sparselab` CLI in the DSL package. */
export async function runCli(args: string[]): Promise<number> {
  try {
    return await dispatch(args);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  runCli(process.argv.slice(2)).then((code) => process.exit(code));
}
