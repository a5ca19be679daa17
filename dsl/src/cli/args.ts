import { readFileSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { argError } from "../errors.js";

/** Parses flags strictly: an unknown flag or a missing value is an error naming the flag. */
export interface Flags {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

export function parseFlags(command: string, argv: string[], options: NonNullable<ParseArgsConfig["options"]>): Flags {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true }) as Flags;
  } catch (error) {
    throw argError(`sparselab ${command}`, "flags", `valid options (${Object.keys(options).map((o) => `--${o}`).join(" ")})`, (error as Error).message);
  }
}

export function numberFlag(command: string, flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw argError(`sparselab ${command}`, `--${flag}`, "a number", value);
  return n;
}

/** A recipe file's JSON; unreadable files and bad JSON are errors naming the file. */
export function readJson(command: string, path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw argError(`sparselab ${command}`, "RECIPE", `a readable JSON file (${(error as NodeJS.ErrnoException).code})`, path);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw argError(`sparselab ${command}`, "RECIPE", `valid JSON (${(error as Error).message})`, path);
  }
}
