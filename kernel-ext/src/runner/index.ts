export { runNotebook, type RunOptions, type NotebookRun, type CellRun, type CellProgress, type CellStatus } from "./runNotebook.js";
export type { CellFailure, FailureKind } from "./failure.js";
export { parseParameter, injectedTag, parametersTag, type Parameters } from "./parameters.js";
export { KernelClient, ExecutionTimeout, KernelDied, type Exchange, type ExecuteOptions } from "./client.js";
export { KernelProcess, type KernelExit } from "./kernelProcess.js";
export { ownKernel, installedKernel, type KernelCommand } from "./kernelCommand.js";
export type { Message, Header } from "./wire.js";
