import { inspect } from "node:util";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import type { Diagnostic } from "tslab/dist/converter.js";

/** The fields an `error` message and an error `execute_reply` share. */
export interface ErrorContent {
  ename: string;
  evalue: string;
  traceback: string[];
}

const kernelDir = dirname(fileURLToPath(import.meta.url));
const tslabDir = dirname(createRequire(import.meta.url).resolve("tslab/package.json"));

/** Frames of the machinery that ran the cell (node's vm, tslab, this kernel) tell the user nothing. */
function isMachineryFrame(line: string): boolean {
  return /^\s+at /.test(line) && (/\(?node:/.test(line) || line.includes(tslabDir) || line.includes(kernelDir));
}

/** A value a cell threw. Like Node's REPL, non-Error values are reported as "Uncaught <value>". */
export function thrownError(thrown: unknown): ErrorContent {
  if (thrown instanceof Error || (typeof thrown === "object" && thrown !== null && "stack" in thrown && "message" in thrown)) {
    const error = thrown as Error;
    const ename = error.name || error.constructor?.name || "Error";
    const lines = (typeof error.stack === "string" ? error.stack : `${ename}: ${error.message}`).split("\n");
    // Node prefixes errors thrown in vm code with an excerpt of the transpiled JavaScript; skip it.
    const start = Math.max(0, lines.findIndex((line) => line.startsWith(ename)));
    return { ename, evalue: String(error.message), traceback: lines.slice(start).filter((line) => !isMachineryFrame(line)) };
  }
  const evalue = inspect(thrown);
  return { ename: "Uncaught", evalue, traceback: [`Uncaught ${evalue}`] };
}

/**
 * TypeScript rejected the cell: nothing ran. Positions are 1-based line:column within the cell,
 * or within `fileName` for errors in local modules the cell imports.
 */
export function compileError(diagnostics: Diagnostic[], code: string): ErrorContent {
  const lines = code.split("\n");
  const located = diagnostics.map(
    (d) => `${d.fileName ? d.fileName + " " : ""}${d.start.line + 1}:${d.start.character + 1} - ${d.messageText}`,
  );
  const traceback = diagnostics.flatMap((d, i) => {
    if (d.fileName) return [located[i]!];
    const gutter = `${d.start.line + 1} | `;
    const caret = " ".repeat(gutter.length + d.start.character) + "^";
    return [located[i]!, `  ${gutter}${lines[d.start.line] ?? ""}`, `  ${caret}`];
  });
  const more = diagnostics.length > 1 ? ` (and ${diagnostics.length - 1} more)` : "";
  return { ename: "CompileError", evalue: `${located[0] ?? "compile failed"}${more}`, traceback };
}
