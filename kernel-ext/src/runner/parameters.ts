import { inspect } from "node:util";
import { hasTag, newCellId, type CodeCell, type Notebook } from "./notebook.js";

export type Parameters = Record<string, unknown>;

export const parametersTag = "parameters";
export const injectedTag = "injected-parameters";

const identifier = /^[A-Za-z_$][\w$]*$/;

/** `NAME=VALUE` from the command line: VALUE is JSON when it parses as JSON, else a string. */
export function parseParameter(assignment: string): [string, unknown] {
  const at = assignment.indexOf("=");
  const name = assignment.slice(0, at);
  if (at < 0 || !identifier.test(name)) {
    throw new Error(`run(--param): expected NAME=VALUE with NAME a TypeScript identifier, received ${JSON.stringify(assignment)}`);
  }
  const text = assignment.slice(at + 1);
  try {
    return [name, JSON.parse(text)];
  } catch {
    return [name, text];
  }
}

/**
 * The overrides as a cell, papermill-style. The parameters cell declares the knobs with `let`
 * (`let FAST = false;`), so overriding is assigning, and TypeScript checks each new value against
 * the declared type when the cell compiles.
 */
export function injectedSource(params: Parameters): string {
  const lines = Object.entries(params).map(([name, value]) => {
    if (!identifier.test(name)) {
      throw new Error(`runNotebook(params): expected TypeScript identifiers as names, received ${JSON.stringify(name)}`);
    }
    const json = JSON.stringify(value);
    if (json === undefined) {
      throw new Error(`runNotebook(params.${name}): expected a JSON value, received ${inspect(value)}`);
    }
    return `${name} = ${json};`;
  });
  return ["// Parameters injected by `sparselab run`.", ...lines].join("\n");
}

/**
 * Puts the overrides right after the cell tagged `parameters`, replacing any injected cell a
 * previous run left. Returns the injected cell, or undefined when there is nothing to inject.
 */
export function injectParameters(nb: Notebook, params: Parameters, notebookPath: string): CodeCell | undefined {
  nb.cells = nb.cells.filter((cell) => !hasTag(cell, injectedTag));
  if (Object.keys(params).length === 0) return undefined;
  const at = nb.cells.findIndex((cell) => cell.cell_type === "code" && hasTag(cell, parametersTag));
  if (at < 0) {
    throw new Error(
      `runNotebook(params): expected a code cell tagged "${parametersTag}" in ${notebookPath} to override, received ${Object.keys(params).join(", ")}`,
    );
  }
  const cell: CodeCell = {
    id: newCellId(),
    cell_type: "code",
    metadata: { tags: [injectedTag] },
    source: injectedSource(params),
    outputs: [],
    execution_count: null,
  };
  nb.cells.splice(at + 1, 0, cell);
  return cell;
}
