import { ZmqServer } from "tslab/dist/jupyter.js";
import type { SparselabHandler } from "./handler.js";

type ShellSocket = Parameters<ZmqServer["handleExecute"]>[0];
type ShellMessage = Parameters<ZmqServer["handleExecute"]>[1];

/** Gives buffered replies time to leave before the process ends. */
const exitDelayMs = 100;

/**
 * tslab's ZMQ server (sockets, signing, status messages) routing execution to our handler, with
 * the replies tslab gets wrong fixed: comm_info gets its own reply type, and shutdown ends the
 * process even when cells left timers or sockets behind.
 */
export class SparselabServer extends ZmqServer {
  readonly #cells: SparselabHandler;

  constructor(handler: SparselabHandler, connectionFile: string) {
    super(handler, connectionFile);
    this.#cells = handler;
  }

  override async handleExecute(sock: ShellSocket, msg: ShellMessage): Promise<void> {
    const publish = (msgType: string, content: object) => {
      const out = msg.createReply();
      out.header.msg_type = msgType;
      out.content = content;
      out.signAndSend(this.connInfo.key, this.iopub);
    };
    const reply = msg.createReply();
    reply.header.msg_type = "execute_reply";
    reply.content = await this.#cells.execute(msg.content as Parameters<SparselabHandler["execute"]>[0], publish);
    reply.signAndSend(this.connInfo.key, sock);
  }

  override handleCommInfoRequest(sock: ShellSocket, msg: ShellMessage): void {
    const reply = msg.createReply();
    reply.header.msg_type = "comm_info_reply";
    reply.content = { status: "ok", comms: {} };
    reply.signAndSend(this.connInfo.key, sock);
  }

  override close(): void {
    super.close();
    setTimeout(() => process.exit(0), exitDelayMs).unref();
  }
}
