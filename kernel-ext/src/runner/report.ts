import { execFile } from "node:child_process";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";

/**
 * Debian's Jupyter lives in the system Python, which a pyenv or venv `python3` on PATH lacks;
 * SPARSELAB_PYTHON points elsewhere on other machines.
 */
const python = process.env.SPARSELAB_PYTHON ?? "/usr/bin/python3";

/** Renders an executed notebook to a static HTML page next to it (nbconvert embeds images; works offline). */
export async function writeHtmlReport(notebookPath: string): Promise<string> {
  const name = basename(notebookPath, ".ipynb");
  const dir = dirname(notebookPath);
  try {
    await promisify(execFile)(python, ["-m", "nbconvert", "--to", "html", "--log-level", "ERROR", "--output-dir", dir, "--output", name, notebookPath], {
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? "").trim().split("\n").at(-1);
    throw new Error(`writeHtmlReport(notebookPath): expected ${python} -m nbconvert to render ${notebookPath}, received: ${stderr || (error as Error).message}`);
  }
  return join(dir, `${name}.html`);
}
