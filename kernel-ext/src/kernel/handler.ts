import { createRequire } from "node:module";
import { JupyterHandlerImpl } from "tslab/dist/jupyter.js";
import type { Executor } from "tslab/dist/executor.js";
import { versions } from "tslab";
import type { ObservedConverters } from "./converters.js";
import type { ExecutorReports } from "./executorReports.js";
import { compileError, thrownError, type ErrorContent } from "./errorContent.js";
import { displayBundle } from "./displayBundle.js";

/** The fields of an `execute_request` the kernel honours. */
export interface ExecuteRequest {
  code: string;
  silent?: boolean;
  store_history?: boolean;
}

/** Publishes one iopub message whose parent is the request being executed. */
export type Publish = (msgType: string, content: object) => void;

export type ExecuteReplyContent =
  | { status: "ok"; execution_count: number; payload: object[]; user_expressions: object }
  | ({ status: "error"; execution_count: number } & ErrorContent);

const require = createRequire(import.meta.url);
/** tslab's display API reads the sink of the running cell from this module-level variable. */
const tslabJupyter: { lastWriteDisplayData: unknown } = require("tslab/dist/jupyter.js");
const ownVersion: string = require("../../package.json").version;

/**
 * tslab's handler with the execution protocol completed: cells run one after another and never
 * abort each other, errors become `error` messages and error replies, and the last expression's
 * value becomes an `execute_result`. Inspection, completion and is_complete stay tslab's.
 */
export class SparselabHandler extends JupyterHandlerImpl {
  readonly #executor: Executor;
  readonly #converters: ObservedConverters;
  readonly #reports: ExecutorReports;
  #executionCount = 0;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(executor: Executor, converters: ObservedConverters, reports: ExecutorReports) {
    super(executor, false);
    this.#executor = executor;
    this.#converters = converters;
    this.#reports = reports;
  }

  override handleKernel() {
    const tslabInfo = super.handleKernel();
    return {
      ...tslabInfo,
      status: "ok" as const,
      implementation: "sparselab",
      implementation_version: ownVersion,
      language_info: {
        ...tslabInfo.language_info,
        name: "typescript",
        version: versions.typescript,
        mimetype: "text/typescript",
        file_extension: ".ts",
        pygments_lexer: "typescript",
      },
      banner: `sparselab TypeScript kernel (tslab ${versions.tslab}, TypeScript ${versions.typescript}, Node ${process.version})`,
    };
  }

  override handleShutdown(req: { restart: boolean }) {
    return { status: "ok" as const, restart: Boolean(req.restart) };
  }

  /** Queues the cell behind any running one; the reply is sent when it settles. */
  execute(req: ExecuteRequest, publish: Publish): Promise<ExecuteReplyContent> {
    const run = this.#queue.then(() => this.#run(req, publish));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #run(req: ExecuteRequest, publish: Publish): Promise<ExecuteReplyContent> {
    const silent = req.silent === true;
    const count = silent || req.store_history === false ? this.#executionCount : ++this.#executionCount;
    const emit: Publish = silent ? () => {} : publish;
    emit("execute_input", { code: req.code, execution_count: count });

    const writeStream = (name: string, text: string) => emit("stream", { name, text });
    // Like IPython, output written after the cell ends (timers, callbacks) still goes to it.
    process.stdout.write = this.createWriteToIopub("stdout", writeStream) as typeof process.stdout.write;
    process.stderr.write = this.createWriteToIopub("stderr", writeStream) as typeof process.stderr.write;
    tslabJupyter.lastWriteDisplayData = (data: object, update: boolean) =>
      emit(update ? "update_display_data" : "display_data", data);

    const error = await this.#evaluate(req.code, emit, count);
    if (!error) return { status: "ok", execution_count: count, payload: [], user_expressions: {} };
    emit("error", error);
    return { status: "error", execution_count: count, ...error };
  }

  /** Runs the code and publishes its result; returns the error that stopped it, if any. */
  async #evaluate(code: string, emit: Publish, count: number): Promise<ErrorContent | undefined> {
    this.#reports.clear();
    this.#converters.beginCell();
    let ok: boolean;
    try {
      ok = await this.#executor.execute(code);
    } catch (thrown) {
      return thrownError(thrown);
    }
    const conversion = this.#converters.lastConversion;
    if (!ok) {
      if (conversion && conversion.diagnostics.length > 0) return compileError(conversion.diagnostics, code);
      return thrownError(this.#reports.errors.at(-1)?.[0]);
    }
    // Cells defining modules (`//@module`) succeed but report their diagnostics, as tslab prints them.
    const reported = this.#reports.errorText();
    if (reported) process.stderr.write(reported);

    const last = this.#reports.lastValue ?? this.#unreportedLastValue(conversion);
    if (!last || last.value === undefined) return undefined;
    try {
      emit("execute_result", { execution_count: count, ...(await displayBundle(last.value)) });
    } catch (thrown) {
      return thrownError(thrown);
    }
    return undefined;
  }

  /** The executor only reports non-null last values; a `null` one is left in its exports. */
  #unreportedLastValue(conversion: ObservedConverters["lastConversion"]): { value: unknown } | undefined {
    const slot = conversion?.lastExpressionVar;
    const locals = this.#executor.locals;
    return slot !== undefined && Object.hasOwn(locals, slot) ? { value: locals[slot] } : undefined;
  }
}
