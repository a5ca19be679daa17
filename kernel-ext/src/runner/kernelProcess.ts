import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeConnectionFile, type ConnectionInfo } from "./connection.js";
import type { KernelCommand } from "./kernelCommand.js";

export interface KernelExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Kept so a kernel that dies can say why (a startup stack trace, a native abort). */
const outputTailChars = 4000;

/** A kernel process with its own connection file; everything it leaves is removed on exit. */
export class KernelProcess {
  readonly connection: ConnectionInfo;
  /** Settles when the process is gone, however it went. */
  readonly exited: Promise<KernelExit>;
  readonly #child: ChildProcess;
  #outputTail = "";

  private constructor(child: ChildProcess, connection: ConnectionInfo, dir: string) {
    this.#child = child;
    this.connection = connection;
    const keepTail = (chunk: Buffer) => {
      this.#outputTail = (this.#outputTail + chunk.toString("utf8")).slice(-outputTailChars);
    };
    child.stdout?.on("data", keepTail);
    child.stderr?.on("data", keepTail);
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        rmSync(dir, { recursive: true, force: true });
        resolve({ code, signal });
      });
      child.once("error", (error) => {
        keepTail(Buffer.from(String(error)));
        rmSync(dir, { recursive: true, force: true });
        resolve({ code: null, signal: null });
      });
    });
  }

  /** Starts the kernel in `cwd` (a notebook's folder: cells resolve modules from there). */
  static async start(command: KernelCommand, cwd: string): Promise<KernelProcess> {
    const dir = mkdtempSync(join(tmpdir(), "sparselab-kernel-"));
    const connectionFile = join(dir, "connection.json");
    const connection = await writeConnectionFile(connectionFile, command.name);
    const argv = command.argv.map((arg) => arg.replaceAll("{connection_file}", connectionFile));
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd,
      env: { ...process.env, ...command.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    return new KernelProcess(child, connection, dir);
  }

  /** What the process printed outside cells, last part only. */
  get outputTail(): string {
    return this.#outputTail;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  kill(): void {
    if (this.running) this.#child.kill("SIGKILL");
  }
}
