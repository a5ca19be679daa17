import type { Mask } from "sparselab";
import { argError, checkOptions, isPlainObject } from "../display/errors.js";
import { Chart } from "./chart.js";
import { topLevel } from "./theme.js";
import { checkInteger, checkString } from "./validate.js";

/** What a heatmap needs of a mask: its shape and row-major bits (sparselab's `Mask` has both). */
export interface MaskLike {
  readonly shape: readonly number[];
  readonly bits: ArrayLike<number>;
}

/** A mask viewed as a 2-D matrix and averaged over blocks: what the heatmap draws. */
export interface MaskGrid {
  /** The 2-D view: all dimensions but the last flattened into rows (conv [kh, kw, cin, cout] → [kh·kw·cin, cout]). */
  readonly rows: number;
  readonly cols: number;
  /** Weights per block along each axis (edge blocks may be smaller). */
  readonly blockRows: number;
  readonly blockCols: number;
  readonly gridRows: number;
  readonly gridCols: number;
  /** Fraction of live weights per block, row-major over the grid. */
  readonly density: Float64Array;
}

const EMPTY = "#f2f2f2";
const LIVE = "#08306b";
const MIN_CELL_PX = 3;

/** Default cell budget: about 100 × 100. */
export const DEFAULT_MAX_CELLS = 10_000;

/** The 2-D view of a shape: rows = product of all dimensions but the last, cols = the last. */
export function matrixView(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [1, shape[0]];
  return [shape.slice(0, -1).reduce((a, b) => a * b, 1), shape[shape.length - 1]];
}

/** Block sizes so that the grid has at most `maxCells` cells, blocks as square as the shape allows. */
function blockSizes(rows: number, cols: number, maxCells: number | readonly [number, number]): [number, number] {
  if (typeof maxCells !== "number") return [Math.ceil(rows / Math.min(rows, maxCells[0])), Math.ceil(cols / Math.min(cols, maxCells[1]))];
  if (rows * cols <= maxCells) return [1, 1];
  let br = Math.min(rows, Math.ceil(Math.sqrt((rows * cols) / maxCells)));
  if (Math.ceil(rows / br) > maxCells) br = Math.ceil(rows / maxCells);
  const gridRows = Math.ceil(rows / br);
  const bc = Math.min(cols, Math.ceil(cols / Math.max(1, Math.floor(maxCells / gridRows))));
  return [br, bc];
}

function checkMask(call: string, arg: string, mask: unknown): MaskLike {
  const m = mask as Partial<MaskLike> | null;
  const shapeOk = m !== null && typeof m === "object" && Array.isArray(m.shape) && m.shape.every((d) => Number.isInteger(d) && d > 0);
  if (!shapeOk) throw argError(call, arg, "a Mask (shape and bits)", mask);
  const size = m.shape!.reduce((a, b) => a * b, 1);
  const bits = m.bits;
  if (bits === null || typeof bits !== "object" || typeof (bits as ArrayLike<number>).length !== "number" || (bits as ArrayLike<number>).length !== size) {
    throw argError(call, `${arg}.bits`, `${size} values for shape [${m.shape!.join(", ")}]`, bits);
  }
  return m as MaskLike;
}

/**
 * Averages a mask over blocks so the grid has at most `maxCells` cells (a number: total cells,
 * blocks kept square where possible; a pair: at most [rows, cols]).
 */
export function maskGrid(mask: MaskLike, maxCells: number | readonly [number, number] = DEFAULT_MAX_CELLS): MaskGrid {
  const call = "maskGrid";
  const m = checkMask(call, "mask", mask);
  checkMaxCells(call, "maxCells", maxCells);
  const [rows, cols] = matrixView(m.shape);
  const [blockRows, blockCols] = blockSizes(rows, cols, maxCells);
  const gridRows = Math.ceil(rows / blockRows);
  const gridCols = Math.ceil(cols / blockCols);
  const sums = new Float64Array(gridRows * gridCols);
  const bits = m.bits;
  for (let r = 0; r < rows; r++) {
    const g = Math.floor(r / blockRows) * gridCols;
    const base = r * cols;
    for (let c = 0; c < cols; c++) if (bits[base + c]) sums[g + Math.floor(c / blockCols)] += 1;
  }
  for (let gr = 0; gr < gridRows; gr++) {
    const h = Math.min(blockRows, rows - gr * blockRows);
    for (let gc = 0; gc < gridCols; gc++) sums[gr * gridCols + gc] /= h * Math.min(blockCols, cols - gc * blockCols);
  }
  return { rows, cols, blockRows, blockCols, gridRows, gridCols, density: sums };
}

function checkMaxCells(call: string, arg: string, maxCells: unknown): void {
  if (typeof maxCells === "number") {
    checkInteger(call, arg, maxCells, 1);
  } else if (!Array.isArray(maxCells) || maxCells.length !== 2 || !maxCells.every((n) => Number.isInteger(n) && n >= 1)) {
    throw argError(call, arg, "a positive integer or a pair [maxRows, maxCols] of positive integers", maxCells);
  }
}

export interface HeatmapOptions {
  /** Cell budget: a total (default 10 000 ≈ 100 × 100) or [maxRows, maxCols]. */
  readonly maxCells?: number | readonly [number, number];
  readonly title?: string;
  /** Pixels along the longer side (default 320); cells are at least 3 px, so this also bounds the grid. */
  readonly size?: number;
}

/**
 * Which weights live, as a raster: rows are the kernel's inputs (conv kernels flattened to
 * [kh·kw·cin, cout]), columns its outputs. Big kernels are averaged over blocks (colour = the
 * fraction of live weights in the block) so at most `maxCells` rectangles are drawn.
 *
 *   maskHeatmap(run.masks.get("dense_1/kernel"))
 *   maskHeatmap({ name: "conv1", mask }, { maxCells: [64, 64] })
 */
export function maskHeatmap(mask: Mask | MaskLike | { readonly name: string; readonly mask: Mask | MaskLike }, options?: HeatmapOptions): Chart {
  const call = "maskHeatmap";
  const opts = checkOptions(call, options, ["maxCells", "title", "size"]);
  let name: string | undefined;
  let m: MaskLike;
  if (isPlainObject(mask) && "mask" in mask) {
    name = checkString(call, "mask.name", mask.name);
    m = checkMask(call, "mask.mask", mask.mask);
  } else {
    m = checkMask(call, "mask", mask);
  }
  const maxCells = (opts.maxCells ?? DEFAULT_MAX_CELLS) as number | readonly [number, number];
  checkMaxCells(call, "options.maxCells", maxCells);
  if (opts.title !== undefined && typeof opts.title !== "string") throw argError(call, "options.title", "a string", opts.title);
  const size = opts.size === undefined ? 320 : checkInteger(call, "options.size", opts.size, 40);

  let grid = maskGrid(m, maxCells);
  // Cells under 3 px cannot be seen and only bloat the output: coarsen to the drawing's resolution.
  const [rows, cols] = matrixView(m.shape);
  const drawn = (n: number) => Math.max(1, Math.floor((size * n) / Math.max(rows, cols) / MIN_CELL_PX));
  if (grid.gridRows > drawn(rows) || grid.gridCols > drawn(cols)) {
    grid = maskGrid(m, [Math.min(grid.gridRows, drawn(rows)), Math.min(grid.gridCols, drawn(cols))]);
  }
  // Compact rows (block indices and density; empty blocks are the background) keep the spec small.
  const values: { i: number; j: number; d: number }[] = [];
  let kept = 0;
  for (let gr = 0; gr < grid.gridRows; gr++) {
    const h = Math.min(grid.blockRows, grid.rows - gr * grid.blockRows);
    for (let gc = 0; gc < grid.gridCols; gc++) {
      const d = grid.density[gr * grid.gridCols + gc];
      if (d === 0) continue;
      kept += d * h * Math.min(grid.blockCols, grid.cols - gc * grid.blockCols);
      values.push({ i: gr, j: gc, d: Math.round(d * 1e4) / 1e4 });
    }
  }
  const total = grid.rows * grid.cols;
  const density = kept / total;
  const longer = Math.max(grid.rows, grid.cols);
  // Square cells where possible, but a thin side is widened (to 120 px, 12 px per cell at most) to stay legible.
  const side = (n: number) => Math.max(Math.min(120, n * 12), Math.round((size * n) / longer));
  const width = side(grid.cols);
  const height = side(grid.rows);
  const blocks = grid.blockRows * grid.blockCols > 1;
  const shape = `[${m.shape.join("×")}]`;
  const conv = m.shape.length === 4;
  const title = opts.title ?? `${name ? `${name} ` : ""}${shape}: ${(density * 100).toFixed(2)}% live`;
  const description = `mask ${name ?? ""}${shape}, ${Math.round(kept)} of ${total} weights live` +
    (blocks ? `, averaged over ${grid.blockRows}×${grid.blockCols} blocks (${grid.gridRows}×${grid.gridCols} cells)` : "");
  const spec = topLevel({
    width, height,
    data: { values },
    transform: [
      { calculate: `datum.i * ${grid.blockRows}`, as: "r0" },
      { calculate: `min(${grid.rows}, datum.r0 + ${grid.blockRows})`, as: "r1" },
      { calculate: `datum.j * ${grid.blockCols}`, as: "c0" },
      { calculate: `min(${grid.cols}, datum.c0 + ${grid.blockCols})`, as: "c1" },
    ],
    view: { fill: EMPTY },
    mark: { type: "rect", aria: false }, // no per-cell aria labels: they would triple the SVG
    encoding: {
      x: { field: "c0", type: "quantitative", title: conv ? "output channel" : "output unit", scale: { domain: [0, grid.cols], nice: false, zero: true }, axis: { tickMinStep: 1 } },
      x2: { field: "c1" },
      y: { field: "r0", type: "quantitative", title: conv ? "kh·kw·cin" : "input", scale: { domain: [0, grid.rows], nice: false, zero: true, reverse: true }, axis: { tickMinStep: 1 } },
      y2: { field: "r1" },
      color: blocks
        ? { field: "d", type: "quantitative", title: "live fraction", scale: { domain: [0, 1], range: [EMPTY, LIVE] }, legend: { format: "%" } }
        : { value: LIVE },
      tooltip: [
        { field: "r0", type: "quantitative", title: "row from" },
        { field: "c0", type: "quantitative", title: "col from" },
        { field: "r1", type: "quantitative", title: "row to" },
        { field: "c1", type: "quantitative", title: "col to" },
        { field: "d", type: "quantitative", format: ".1%", title: "live" },
      ],
    },
  }, { text: title, subtitle: blocks ? `${grid.blockRows}×${grid.blockCols} blocks; colour = fraction of live weights` : "dark: live weight; light: pruned" }, description);
  return new Chart(spec, `<Chart: ${description}>`);
}
