import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installKernel } from "../../kernel-ext/src/kernel/install.js";
import { KernelClient, KernelProcess, ownKernel, type Exchange } from "../../kernel-ext/src/runner/index.js";
import { here, systemPython, tempDir } from "./support.js";

const types = (exchange: Exchange) => exchange.outputs.map((msg) => msg.header.msg_type);
const output = (exchange: Exchange, type: string) => exchange.outputs.find((msg) => msg.header.msg_type === type)?.content;

describe("the sparselab kernel, seen by the runner's client", () => {
  let kernel: KernelProcess;
  let client: KernelClient;

  beforeAll(async () => {
    kernel = await KernelProcess.start(ownKernel(), here);
    client = new KernelClient(kernel.connection, kernel.exited);
  }, 60_000);
  afterAll(() => {
    kernel.kill();
    client.close();
  });

  it("answers kernel_info with status ok and TypeScript's language_info", async () => {
    const info = await client.ready(60);
    expect(info.content).toMatchObject({
      status: "ok",
      implementation: "sparselab",
      language_info: { name: "typescript", file_extension: ".ts", mimetype: "text/typescript" },
    });
  }, 60_000);

  it("sends an error message and an error reply, and runs the next request instead of aborting it", async () => {
    const [failed, next] = await Promise.all([client.execute('throw new TypeError("nope")'), client.execute("6 * 7")]);

    expect(failed.reply.content).toMatchObject({ status: "error", ename: "TypeError", evalue: "nope" });
    expect(types(failed)).toEqual(["error"]);
    expect(output(failed, "error")).toMatchObject({ ename: "TypeError", evalue: "nope", });
    expect((output(failed, "error") as { traceback: string[] }).traceback[0]).toBe("TypeError: nope");

    expect(next.reply.content.status).toBe("ok");
    expect(output(next, "execute_result")).toEqual({
      execution_count: next.reply.content.execution_count,
      data: { "text/plain": "42" },
      metadata: {},
    });
  }, 30_000);

  it("reports TypeScript compile errors with their position in the cell", async () => {
    const exchange = await client.execute("const n: number = 'text';");
    expect(exchange.reply.content).toMatchObject({
      status: "error",
      ename: "CompileError",
      evalue: "1:7 - Type 'string' is not assignable to type 'number'.",
    });
  }, 30_000);

  it("shows values through Symbol.for('Jupyter.display') and keeps tslab's display API", async () => {
    const exchange = await client.execute(
      'require("tslab").display.markdown("*md*");\n' +
        'const svg = `<svg width="30" height="20"></svg>`;\n' +
        '({ [Symbol.for("Jupyter.display")]: async () => ({ "image/svg+xml": svg, "image/png": new Uint8Array([137, 80]) }) })',
    );
    expect(types(exchange)).toEqual(["display_data", "execute_result"]);
    expect(output(exchange, "display_data")).toMatchObject({ data: { "text/markdown": "*md*" } });
    expect(output(exchange, "execute_result")).toMatchObject({
      data: { "image/png": "iVA=" }, // binary data travels base64-encoded
      metadata: { "image/png": { width: 30, height: 20 } }, // a 2x PNG shown at the SVG's size
    });
  }, 30_000);

  it("shows null but not undefined, like a REPL", async () => {
    expect(types(await client.execute("null"))).toEqual(["execute_result"]);
    expect(types(await client.execute("undefined"))).toEqual([]);
  }, 30_000);

  it("exits after a shutdown request", async () => {
    await client.shutdown();
    expect(await kernel.exited).toEqual({ code: 0, signal: null });
  }, 30_000);
});

describe("jupyter_kernel_test", () => {
  it("passes KernelTests with the kernel installed into a temporary prefix", () => {
    const prefix = tempDir("kernelspec");
    installKernel({ prefix });
    const runtime = tempDir("runtime");
    const result = spawnSync(systemPython, ["-m", "unittest", "-v", "kernel_tests"], {
      cwd: here,
      encoding: "utf8",
      env: {
        ...process.env,
        JUPYTER_PATH: join(prefix, "share/jupyter"),
        JUPYTER_DATA_DIR: runtime,
        JUPYTER_RUNTIME_DIR: runtime,
        PYTHONDONTWRITEBYTECODE: "1", // no __pycache__ in the repo
      },
    });
    expect(result.stderr, result.stderr).toMatch(/\nOK( \(skipped=\d+\))?\n/);
    expect(result.status).toBe(0);
  }, 180_000);
});
