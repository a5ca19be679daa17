import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import type { Output } from "./outputs.js";

export interface CellMetadata {
  tags?: string[];
  [key: string]: unknown;
}

export interface CodeCell {
  id: string;
  cell_type: "code";
  metadata: CellMetadata;
  source: string | string[];
  outputs: Output[];
  execution_count: number | null;
}

export interface TextCell {
  id: string;
  cell_type: "markdown" | "raw";
  metadata: CellMetadata;
  source: string | string[];
  attachments?: Record<string, unknown>;
}

export type Cell = CodeCell | TextCell;

export interface Notebook {
  nbformat: 4;
  nbformat_minor: number;
  metadata: Record<string, unknown>;
  cells: Cell[];
}

/** nbformat's own scheme (uuid4 hex, first 8); ids must be unique within the notebook. */
export function newCellId(): string {
  return randomBytes(4).toString("hex");
}

export function sourceText(cell: Cell): string {
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source;
}

export function hasTag(cell: Cell, tag: string): boolean {
  return cell.metadata.tags?.includes(tag) ?? false;
}

/**
 * Reads a notebook as nbformat 4.5: cells missing an `id` (4.4 and older files) get one, code
 * cells start with no outputs and no execution count, so nothing stale survives a failed run.
 */
export function readNotebook(path: string): Notebook {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`readNotebook(path): expected a readable .ipynb JSON file, received ${path} (${(error as Error).message})`);
  }
  const nb = raw as Partial<Notebook>;
  if (nb.nbformat !== 4 || !Array.isArray(nb.cells)) {
    throw new Error(`readNotebook(path): expected an nbformat 4 notebook, received nbformat ${JSON.stringify(nb.nbformat)} in ${path}`);
  }
  const ids = new Set<string>();
  const cells = nb.cells.map((cell): Cell => {
    let id = typeof cell.id === "string" && /^[a-zA-Z0-9-_]{1,64}$/.test(cell.id) && !ids.has(cell.id) ? cell.id : newCellId();
    while (ids.has(id)) id = newCellId();
    ids.add(id);
    const metadata = cell.metadata ?? {};
    return cell.cell_type === "code"
      ? { id, cell_type: "code", metadata, source: cell.source, outputs: [], execution_count: null }
      : { ...cell, id, metadata };
  });
  return { nbformat: 4, nbformat_minor: Math.max(5, nb.nbformat_minor ?? 0), metadata: nb.metadata ?? {}, cells };
}

/** Writes the way nbformat does (one-space indent, trailing newline) so diffs stay small. */
export function writeNotebook(path: string, nb: Notebook): void {
  writeFileSync(path, JSON.stringify(nb, null, 1) + "\n");
}
