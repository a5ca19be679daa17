import { format } from "node:util";
import type { ConsoleInterface } from "tslab/dist/executor.js";

/**
 * The console tslab's executor reports to: it logs a cell's last expression value and errors
 * (the thrown value, or compile diagnostics as format strings). Cells' own console output goes
 * to the process console, never here, so everything received belongs to the running cell.
 */
export class ExecutorReports implements ConsoleInterface {
  /** Set when the executor logged the last expression's value (it skips null and undefined). */
  lastValue: { value: unknown } | undefined;
  /** The argument lists of every error report for the running cell. */
  errors: unknown[][] = [];

  log(value?: unknown): void {
    this.lastValue = { value };
  }

  error(...args: unknown[]): void {
    this.errors.push(args);
  }

  clear(): void {
    this.lastValue = undefined;
    this.errors = [];
  }

  /** Error reports as tslab would have printed them (module cells report diagnostics but succeed). */
  errorText(): string {
    return this.errors.map((args) => format(...args) + "\n").join("");
  }
}
