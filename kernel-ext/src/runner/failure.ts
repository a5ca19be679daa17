import type { Output } from "./outputs.js";

export type FailureKind = "error" | "abort" | "timeout" | "dead";

/** Why a notebook run stopped, and where. */
export interface CellFailure {
  kind: FailureKind;
  /** 1-based position in the input notebook, markdown cells counted; null: the injected-parameters cell or kernel startup. */
  cell: number | null;
  /** 1-based among the code cells this run executes (the k of `[k/n]`); 0 before the first cell. */
  step: number;
  ename?: string;
  evalue?: string;
  /** Multi-line, self-contained: notebook, cell, source excerpt, cause. */
  message: string;
}

export interface FailedCell {
  notebook: string;
  cell: number | null;
  step: number;
  steps: number;
  executionCount: number | null;
  source: string;
}

const excerptLines = 3;
const excerptWidth = 100;

function excerpt(source: string): string {
  const lines = source.split("\n").filter((line) => line.trim() !== "");
  const shown = lines.slice(0, excerptLines).map((line) => {
    const trimmed = line.trimEnd();
    return `    | ${trimmed.length > excerptWidth ? trimmed.slice(0, excerptWidth - 1) + "…" : trimmed}`;
  });
  if (lines.length > excerptLines) shown.push(`    | … (${lines.length - excerptLines} more lines)`);
  return shown.join("\n");
}

function cellLabel(cell: number | null): string {
  return cell === null ? "the injected-parameters cell" : `cell ${cell}`;
}

/** One failure's message: `<notebook>: <cell> (step k/n, In [c]) <what happened>`, then the source. */
export function describeFailure(
  kind: FailureKind,
  at: FailedCell,
  cause: { ename?: string; evalue?: string; detail?: string; kernelOutput?: string },
): CellFailure {
  const where = `${at.notebook}: ${cellLabel(at.cell)} (step ${at.step}/${at.steps}${at.executionCount !== null ? `, In [${at.executionCount}]` : ""})`;
  const what = {
    error: `failed with ${cause.ename}: ${cause.evalue}`,
    abort: "was aborted by the kernel (execute_reply status \"abort\")",
    timeout: `timed out: ${cause.detail}`,
    dead: `lost its kernel: ${cause.detail}`,
  }[kind];
  const message = [`${where} ${what}`, excerpt(at.source), kernelLog(cause.kernelOutput)].filter(Boolean).join("\n");
  return { kind, cell: at.cell, step: at.step, ename: cause.ename, evalue: cause.evalue, message };
}

/** The kernel never ran a cell: it died or did not answer while starting. */
export function startupFailure(notebook: string, kind: "dead" | "timeout", detail: string, kernelOutput: string): CellFailure {
  const message = [`${notebook}: the kernel did not start: ${detail}`, kernelLog(kernelOutput)].filter(Boolean).join("\n");
  return { kind, cell: null, step: 0, message };
}

function kernelLog(output: string | undefined): string {
  const text = output?.trim();
  return text ? `  kernel output (last part):\n${text.replace(/^/gm, "    ")}` : "";
}

/** Timeouts, aborts and dead kernels leave no trace in the cell; this output shows it in the notebook and report. */
export function failureOutput(failure: CellFailure): Output {
  const ename = { error: failure.ename ?? "Error", abort: "ExecutionAborted", timeout: "CellTimeout", dead: "DeadKernel" }[failure.kind];
  const evalue = failure.message.split("\n")[0]!;
  return { output_type: "error", ename, evalue, traceback: [`${ename}: ${evalue}`] };
}
