import { mkdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export interface InstallKernelOptions {
  /** Install into `<prefix>/share/jupyter/kernels/<name>` (a venv, a temp dir, a CI folder). */
  prefix?: string;
  /** Install into the user's Jupyter data dir; the default when no prefix is given. */
  user?: boolean;
  name?: string;
  displayName?: string;
}

/** The compiled kernel entry; src/ and dist/ sit at the same depth, so this resolves from both. */
export const kernelEntry = fileURLToPath(new URL("../../dist/kernel/main.js", import.meta.url));

/** Jupyter's per-user data dir, as jupyter_core computes it. */
export function userJupyterDataDir(): string {
  const env = process.env;
  if (env.JUPYTER_DATA_DIR) return env.JUPYTER_DATA_DIR;
  if (process.platform === "darwin") return join(homedir(), "Library", "Jupyter");
  if (process.platform === "win32") return join(env.APPDATA ?? homedir(), "jupyter");
  return join(env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "jupyter");
}

/** Writes the kernelspec that starts this package's kernel with the current Node; returns its folder. */
export function installKernel(options: InstallKernelOptions = {}): string {
  const { prefix, user, name = "sparselab", displayName = "TypeScript (sparselab)" } = options;
  if (prefix !== undefined && user) {
    throw new Error(`installKernel(options): expected prefix or user, received both (prefix ${JSON.stringify(prefix)})`);
  }
  if (!/^[a-z0-9._-]+$/i.test(name)) {
    throw new Error(`installKernel(name): expected letters, digits, ".", "_" or "-", received ${JSON.stringify(name)}`);
  }
  const kernels = prefix !== undefined ? join(prefix, "share", "jupyter", "kernels") : join(userJupyterDataDir(), "kernels");
  const dir = join(kernels, name);
  const spec = {
    argv: [process.execPath, kernelEntry, "--config-path", "{connection_file}"],
    display_name: displayName,
    language: "typescript",
    interrupt_mode: "signal",
    metadata: {},
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "kernel.json"), JSON.stringify(spec, null, 2) + "\n");
  return dir;
}
