import { createExecutor } from "tslab/dist/executor.js";
import { ObservedConverters } from "./converters.js";
import { ExecutorReports } from "./executorReports.js";
import { SparselabHandler } from "./handler.js";
import { SparselabServer } from "./server.js";

/**
 * Serves the kernel on the sockets named in a Jupyter connection file, composed the way
 * tslab's `startKernel` composes its pieces (TypeScript mode, cells resolve modules from the
 * working directory).
 */
export async function startKernel(connectionFile: string): Promise<SparselabServer> {
  const converters = new ObservedConverters();
  void converters.node; // build the language service now, not during the first cell
  const reports = new ExecutorReports();
  const executor = createExecutor(process.cwd(), converters, reports);
  const server = new SparselabServer(new SparselabHandler(executor, converters, reports), connectionFile);
  process.on("SIGINT", () => executor.interrupt());
  // A cell's stray callback must not take the kernel down; tslab reports these the same way.
  process.on("uncaughtException", (error) => console.error("UncaughtException:", error));
  process.on("unhandledRejection", (reason) => console.error("UnhandledPromiseRejection:", reason));
  await server.init();
  return server;
}
