/**
 * A sweep worker process (forked by `pool.ts`): trains the runs it is sent, one at a time, in its
 * own tfjs state and kernel threads, and stores each result before reporting it.
 */
import { plan } from "../builder/impl.js";
import { removeTemporaryFiles } from "../io/run-dir.js";
import type { RunRequest, WorkerMessage } from "./protocol.js";
import { saveStoredRun } from "./store.js";

function send(message: WorkerMessage): void {
  process.send!(message);
}

async function run(request: RunRequest): Promise<void> {
  const started = Date.now();
  try {
    await removeTemporaryFiles(request.dir);
    const result = await plan(request.recipe).run({
      onEvent: (event) => event.type === "epoch" && send({ type: "epoch", epoch: event.epoch, record: event.record }),
    });
    const stored = { hash: request.hash, recipe: result.recipe, summary: result.toJSON(), seconds: (Date.now() - started) / 1000 };
    result.net.dispose();
    await saveStoredRun(request.dir, stored);
    send({ type: "done", run: stored });
  } catch (error) {
    send({ type: "error", message: String((error as Error).message ?? error).split("\n")[0] });
  }
}

process.on("message", (request: RunRequest) => void run(request));
// The sweep ended (or died): nothing more will come.
process.on("disconnect", () => process.exit(0));
