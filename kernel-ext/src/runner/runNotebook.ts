import { mkdirSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { ExecutionTimeout, KernelClient, KernelDied } from "./client.js";
import { describeFailure, failureOutput, startupFailure, type CellFailure, type FailureKind } from "./failure.js";
import { installedKernel, ownKernel, type KernelCommand } from "./kernelCommand.js";
import { KernelProcess } from "./kernelProcess.js";
import { readNotebook, sourceText, writeNotebook, type CodeCell, type Notebook } from "./notebook.js";
import { OutputRecorder } from "./outputs.js";
import { injectParameters, type Parameters } from "./parameters.js";
import { writeHtmlReport } from "./report.js";
import { within } from "./within.js";
import type { Message } from "./wire.js";

export interface RunOptions {
  /** Shorthand for the parameter `FAST = true`. */
  fast?: boolean;
  /** Overrides for the variables the `parameters` cell declares with `let`. */
  params?: Parameters;
  /** Where the executed notebook and its HTML report go; default `notebooks/out` (from the working directory). */
  outDir?: string;
  /** Per cell; a cell still running then is a failure and its kernel is killed. */
  timeoutSeconds?: number;
  /** An installed kernelspec (found via JUPYTER_PATH); default: this package's kernel, straight from the repo. */
  kernel?: string;
  onProgress?: (progress: CellProgress) => void;
  /** The latest text a running cell printed or displayed (progress bars update it): for heartbeat lines. */
  onActivity?: (activity: { cell: number | null; text: string }) => void;
}

export type CellStatus = "ok" | FailureKind | "skipped";

export interface CellProgress {
  notebook: string;
  /** 1-based among the code cells this run executes. */
  step: number;
  steps: number;
  /** 1-based position in the input notebook (markdown counted); null for the injected-parameters cell. */
  cell: number | null;
  status: CellStatus;
  seconds: number;
}

export interface CellRun {
  cell: number | null;
  step: number;
  id: string;
  status: CellStatus;
  seconds: number | null;
  executionCount: number | null;
}

export interface NotebookRun {
  notebook: string;
  /** The executed notebook, written whatever happened. */
  output: string;
  report: string | null;
  /** Why the HTML report could not be written; the run itself may still be ok. */
  reportError: string | null;
  /** Every cell ran without error. */
  ok: boolean;
  parameters: Parameters;
  cells: CellRun[];
  failure: CellFailure | null;
}

const startupTimeoutSeconds = 60;
const shutdownGraceMs = 5000;

/** Executes a notebook top to bottom in a fresh kernel, stopping at the first failing cell. */
export async function runNotebook(path: string, options: RunOptions = {}): Promise<NotebookRun> {
  const { timeoutSeconds, onProgress, onActivity } = options;
  if (timeoutSeconds !== undefined && !(timeoutSeconds > 0 && Number.isFinite(timeoutSeconds))) {
    throw new Error(`runNotebook(timeoutSeconds): expected a positive number of seconds, received ${timeoutSeconds}`);
  }
  const nb = readNotebook(path);
  const positions = new Map(nb.cells.map((cell, i) => [cell, i + 1]));
  const parameters: Parameters = { ...(options.fast ? { FAST: true } : {}), ...options.params };
  injectParameters(nb, parameters, path);
  const output = outputPath(path, options.outDir ?? "notebooks/out");
  const command = options.kernel === undefined ? ownKernel() : installedKernel(options.kernel);
  nb.metadata.kernelspec = { name: command.name, display_name: command.displayName, language: command.language };
  nb.metadata.sparselab = { parameters };

  const steps = nb.cells.filter((cell): cell is CodeCell => cell.cell_type === "code" && sourceText(cell).trim() !== "");
  const cells: CellRun[] = steps.map((cell, i) => ({
    cell: positions.get(cell) ?? null,
    step: i + 1,
    id: cell.id,
    status: "skipped",
    seconds: null,
    executionCount: null,
  }));
  let failure: CellFailure | null;
  try {
    failure = await execute(nb, steps, cells, { notebook: path, command, timeoutSeconds, onProgress, onActivity });
  } finally {
    writeNotebook(output, nb);
  }
  let report: string | null = null;
  let reportError: string | null = null;
  try {
    report = await writeHtmlReport(output);
  } catch (error) {
    reportError = (error as Error).message;
  }
  return { notebook: path, output, report, reportError, ok: failure === null, parameters, cells, failure };
}

function outputPath(notebook: string, outDir: string): string {
  const dir = resolve(outDir);
  if (dir === resolve(dirname(notebook))) {
    throw new Error(`runNotebook(outDir): expected a folder other than the notebook's own (the run would overwrite it), received ${outDir}`);
  }
  mkdirSync(dir, { recursive: true });
  return join(dir, basename(notebook));
}

interface ExecuteContext {
  notebook: string;
  command: KernelCommand;
  timeoutSeconds: number | undefined;
  onProgress: RunOptions["onProgress"];
  onActivity: RunOptions["onActivity"];
}

/** Runs the cells in one kernel (started in the notebook's folder); returns the failure that stopped it. */
async function execute(nb: Notebook, steps: CodeCell[], cells: CellRun[], ctx: ExecuteContext): Promise<CellFailure | null> {
  const kernel = await KernelProcess.start(ctx.command, resolve(dirname(ctx.notebook)));
  const client = new KernelClient(kernel.connection, kernel.exited);
  try {
    try {
      const info = await client.ready(startupTimeoutSeconds);
      nb.metadata.language_info = (info.content as { language_info?: unknown }).language_info;
    } catch (error) {
      const dead = error instanceof KernelDied;
      return startupFailure(ctx.notebook, dead ? "dead" : "timeout", (error as Error).message, kernel.outputTail);
    }
    const recorder = new OutputRecorder();
    for (const [i, cell] of steps.entries()) {
      const run = cells[i]!;
      const started = performance.now();
      const failure = await executeCell(client, kernel, cell, run, recorder, ctx, steps.length);
      run.seconds = (performance.now() - started) / 1000;
      run.executionCount = cell.execution_count;
      ctx.onProgress?.({ notebook: ctx.notebook, step: run.step, steps: steps.length, cell: run.cell, status: run.status, seconds: run.seconds });
      if (failure) {
        if (!cell.outputs.some((out) => out.output_type === "error")) cell.outputs.push(failureOutput(failure));
        return failure;
      }
    }
    if (await within(client.shutdown().catch(() => undefined), shutdownGraceMs)) await within(kernel.exited, shutdownGraceMs);
    return null;
  } finally {
    kernel.kill();
    await within(kernel.exited, shutdownGraceMs);
    client.close();
  }
}

async function executeCell(
  client: KernelClient,
  kernel: KernelProcess,
  cell: CodeCell,
  run: CellRun,
  recorder: OutputRecorder,
  ctx: ExecuteContext,
  stepCount: number,
): Promise<CellFailure | null> {
  const at = () => ({
    notebook: ctx.notebook,
    cell: run.cell,
    step: run.step,
    steps: stepCount,
    executionCount: cell.execution_count,
    source: sourceText(cell),
  });
  try {
    const record = recorder.forCell(cell);
    const onOutput = (msg: Message) => {
      record(msg);
      const text = activityText(msg);
      if (text) ctx.onActivity?.({ cell: run.cell, text });
    };
    const { reply } = await client.execute(sourceText(cell), { timeoutSeconds: ctx.timeoutSeconds, onOutput });
    const content = reply.content as { status?: string; execution_count?: number; ename?: string; evalue?: string };
    cell.execution_count = content.execution_count ?? cell.execution_count;
    if (content.status === "ok") {
      run.status = "ok";
      return null;
    }
    if (content.status === "abort") {
      run.status = "abort";
      return describeFailure("abort", at(), {});
    }
    run.status = "error";
    const cause = content.ename === undefined ? errorFromStderr(cell) : { ename: content.ename, evalue: content.evalue ?? "" };
    return describeFailure("error", at(), cause);
  } catch (error) {
    if (error instanceof ExecutionTimeout) {
      run.status = "timeout";
      kernel.kill();
      return describeFailure("timeout", at(), { detail: `still running after ${error.seconds} s, so the kernel was killed` });
    }
    if (error instanceof KernelDied) {
      run.status = "dead";
      return describeFailure("dead", at(), { detail: error.message, kernelOutput: kernel.outputTail });
    }
    throw error;
  }
}

/** Kernels without `error` messages (plain tslab) print the error to stderr: find its `Name: message` line. */
function errorFromStderr(cell: CodeCell): { ename: string; evalue: string } {
  const stderr = cell.outputs.flatMap((out) => (out.output_type === "stream" && out.name === "stderr" ? [out.text] : []));
  const lines = stderr.join("").split("\n").map((line) => line.trim()).filter(Boolean);
  const named = lines.map((line) => /^([A-Z]\w*): (.*)$/.exec(line)).find(Boolean);
  if (named) return { ename: named[1]!, evalue: named[2]! };
  return { ename: "Error", evalue: lines[0] ?? "(the kernel sent no error details)" };
}

/** The last non-empty line of a stream or a display's text/plain: what a heartbeat should show. */
function activityText(msg: Message): string | undefined {
  const c = msg.content as { text?: string; data?: Record<string, unknown> };
  const text = msg.header.msg_type === "stream" ? c.text
    : ["display_data", "update_display_data"].includes(msg.header.msg_type) ? (c.data?.["text/plain"] as string | undefined)
    : undefined;
  return text?.split("\n").map((line) => line.trim()).filter(Boolean).at(-1);
}
