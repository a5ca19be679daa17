import type { CodeCell } from "./notebook.js";
import type { Message } from "./wire.js";

/** nbformat 4 output, as written into the executed notebook. */
export type Output =
  | { output_type: "stream"; name: string; text: string }
  | { output_type: "display_data"; data: Record<string, unknown>; metadata: Record<string, unknown> }
  | { output_type: "execute_result"; execution_count: number | null; data: Record<string, unknown>; metadata: Record<string, unknown> }
  | { output_type: "error"; ename: string; evalue: string; traceback: string[] };

type DisplayOutput = Extract<Output, { output_type: "display_data" | "execute_result" }>;

interface MessageContent {
  name?: string;
  text?: string;
  data?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  transient?: { display_id?: string };
  execution_count?: number | null;
  ename?: string;
  evalue?: string;
  traceback?: string[];
  wait?: boolean;
}

/**
 * Turns iopub messages into notebook outputs the way nbclient does: consecutive stream text is
 * merged, `update_display_data` rewrites every output shown with that display id (in any cell,
 * progress bars live in earlier cells too), `clear_output` empties the cell, or with `wait`
 * empties it when the next output arrives.
 */
export class OutputRecorder {
  readonly #displays = new Map<string, DisplayOutput[]>();

  /** A handler recording one cell's messages into it (`execute_input` gives its count). */
  forCell(cell: CodeCell): (msg: Message) => void {
    const outputs = cell.outputs;
    let clearOnNext = false;
    const add = (output: Output) => {
      if (clearOnNext) outputs.splice(0);
      clearOnNext = false;
      outputs.push(output);
    };
    return (msg) => {
      const c = msg.content as MessageContent;
      switch (msg.header.msg_type) {
        case "execute_input":
          cell.execution_count = c.execution_count ?? null;
          break;
        case "stream": {
          const last = outputs.at(-1);
          if (!clearOnNext && last?.output_type === "stream" && last.name === c.name) last.text += c.text ?? "";
          else add({ output_type: "stream", name: c.name ?? "stdout", text: c.text ?? "" });
          break;
        }
        case "display_data":
        case "execute_result": {
          const output: DisplayOutput =
            msg.header.msg_type === "display_data"
              ? { output_type: "display_data", data: c.data ?? {}, metadata: c.metadata ?? {} }
              : { output_type: "execute_result", execution_count: c.execution_count ?? null, data: c.data ?? {}, metadata: c.metadata ?? {} };
          add(output);
          const id = c.transient?.display_id;
          if (id) this.#displays.set(id, [...(this.#displays.get(id) ?? []), output]);
          break;
        }
        case "update_display_data":
          for (const output of this.#displays.get(c.transient?.display_id ?? "") ?? []) {
            output.data = c.data ?? {};
            output.metadata = c.metadata ?? {};
          }
          break;
        case "error":
          add({ output_type: "error", ename: c.ename ?? "", evalue: c.evalue ?? "", traceback: c.traceback ?? [] });
          break;
        case "clear_output":
          if (c.wait) clearOnNext = true;
          else outputs.splice(0);
          break;
      }
    };
  }
}
