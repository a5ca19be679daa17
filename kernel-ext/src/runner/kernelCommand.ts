import { existsSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { kernelEntry, userJupyterDataDir } from "../kernel/install.js";

/** How to start a kernel: a kernelspec's argv (with `{connection_file}`) and environment. */
export interface KernelCommand {
  name: string;
  displayName: string;
  language: string;
  argv: string[];
  env: Record<string, string>;
}

/** This package's kernel, run by the current Node straight from the repo: no kernelspec needed. */
export function ownKernel(): KernelCommand {
  if (!existsSync(kernelEntry)) {
    throw new Error(`ownKernel(): expected the compiled kernel at ${kernelEntry} (run \`npx tsc -b kernel-ext\`), received no such file`);
  }
  return {
    name: "sparselab",
    displayName: "TypeScript (sparselab)",
    language: "typescript",
    argv: [process.execPath, kernelEntry, "--config-path", "{connection_file}"],
    env: {},
  };
}

/** Where Jupyter looks for kernelspecs, in its order: JUPYTER_PATH, the user's dir, the system's. */
export function kernelSpecDirs(): string[] {
  const fromEnv = (process.env.JUPYTER_PATH ?? "").split(delimiter).filter(Boolean);
  return [...fromEnv, userJupyterDataDir(), "/usr/local/share/jupyter", "/usr/share/jupyter"].map((dir) => join(dir, "kernels"));
}

/** An installed kernelspec, found the way Jupyter finds it. */
export function installedKernel(name: string): KernelCommand {
  const dirs = kernelSpecDirs();
  const specFile = dirs.map((dir) => join(dir, name, "kernel.json")).find((file) => existsSync(file));
  if (!specFile) {
    throw new Error(`installedKernel(name): expected a kernelspec in ${dirs.join(", ")}, received ${JSON.stringify(name)}`);
  }
  const spec = JSON.parse(readFileSync(specFile, "utf8")) as {
    argv?: unknown;
    display_name?: string;
    language?: string;
    env?: Record<string, string>;
  };
  if (!Array.isArray(spec.argv) || !spec.argv.every((arg) => typeof arg === "string")) {
    throw new Error(`installedKernel(name): expected an argv list of strings in ${specFile}, received ${JSON.stringify(spec.argv)}`);
  }
  return {
    name,
    displayName: spec.display_name ?? name,
    language: spec.language ?? "",
    argv: spec.argv,
    env: spec.env ?? {},
  };
}
