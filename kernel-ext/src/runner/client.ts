import { Dealer, Subscriber } from "zeromq";
import type { ConnectionInfo } from "./connection.js";
import type { KernelExit } from "./kernelProcess.js";
import { Session, type Message } from "./wire.js";
import { within } from "./within.js";

/** What the kernel said about one request: its reply and the iopub messages it caused. */
export interface Exchange {
  reply: Message;
  /** iopub messages with this request as parent, in order, except `status` and `execute_input`. */
  outputs: Message[];
}

export class ExecutionTimeout extends Error {
  constructor(readonly seconds: number) {
    super(`execution did not finish within ${seconds} s`);
    this.name = "ExecutionTimeout";
  }
}

export class KernelDied extends Error {
  constructor(readonly exit: KernelExit) {
    super(exit.signal ? `the kernel process was killed by ${exit.signal}` : `the kernel process exited with code ${exit.code}`);
    this.name = "KernelDied";
  }
}

interface Pending {
  reply?: Message;
  idle: boolean;
  /** Requests whose kernel may exit before publishing `idle` (shutdown) settle on the reply. */
  needsIdle: boolean;
  outputs: Message[];
  onOutput?: (msg: Message) => void;
  resolve: (exchange: Exchange) => void;
  reject: (error: Error) => void;
}

export interface ExecuteOptions {
  timeoutSeconds?: number;
  /** Sees each iopub message but `status` as it arrives, `execute_input` included. */
  onOutput?: (msg: Message) => void;
}

/** How long one kernel_info probe waits before asking again (the iopub subscription may lag). */
const readyProbeMs = 1000;

/**
 * A Jupyter client over ZMQ: shell and control requests, iopub outputs routed to the request
 * that caused them. `died` (the kernel process's exit) fails whatever is pending.
 */
export class KernelClient {
  readonly #session: Session;
  readonly #shell = new Dealer();
  readonly #control = new Dealer();
  readonly #iopub = new Subscriber();
  readonly #pending = new Map<string, Pending>();
  /** zeromq allows one send in flight per socket. */
  readonly #sending = new Map<Dealer, Promise<void>>();
  #failure: Error | undefined;

  constructor(connection: ConnectionInfo, died: Promise<KernelExit>) {
    this.#session = new Session(connection.key);
    const address = (port: number) => `${connection.transport}://${connection.ip}:${port}`;
    this.#shell.connect(address(connection.shell_port));
    this.#control.connect(address(connection.control_port));
    this.#iopub.connect(address(connection.iopub_port));
    this.#iopub.subscribe();
    void this.#receive(this.#shell, (msg) => this.#onReply(msg));
    void this.#receive(this.#control, (msg) => this.#onReply(msg));
    void this.#receive(this.#iopub, (msg) => this.#onIopub(msg));
    void died.then((exit) => this.#fail(new KernelDied(exit)));
  }

  /** Resolves with kernel_info once requests and iopub both flow; throws after `timeoutSeconds`. */
  async ready(timeoutSeconds: number): Promise<Message> {
    const deadline = Date.now() + timeoutSeconds * 1000;
    while (Date.now() < deadline) {
      const probe = this.#request(this.#shell, "kernel_info_request", {}, { needsIdle: true });
      const answered = await within(probe, readyProbeMs);
      if (answered) return answered.reply;
      probe.catch(() => undefined); // an unanswered probe is failed when the client closes
    }
    throw new Error(`KernelClient.ready(timeoutSeconds): expected a kernel_info reply within ${timeoutSeconds} s, received none`);
  }

  execute(code: string, options: ExecuteOptions = {}): Promise<Exchange> {
    const content = { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true };
    const exchange = this.#request(this.#shell, "execute_request", content, { needsIdle: true, onOutput: options.onOutput });
    const seconds = options.timeoutSeconds;
    if (seconds === undefined) return exchange;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ExecutionTimeout(seconds)), seconds * 1000);
    });
    return Promise.race([exchange, timeout]).finally(() => clearTimeout(timer));
  }

  /** Asks the kernel to exit; resolves with its reply (the process may still be ending). */
  shutdown(): Promise<Exchange> {
    return this.#request(this.#control, "shutdown_request", { restart: false }, { needsIdle: false });
  }

  close(): void {
    this.#fail(new Error("KernelClient.close(): the client was closed"));
    this.#shell.close();
    this.#control.close();
    this.#iopub.close();
  }

  #request(
    socket: Dealer,
    msgType: string,
    content: object,
    options: { needsIdle: boolean; onOutput?: (msg: Message) => void },
  ): Promise<Exchange> {
    if (this.#failure) return Promise.reject(this.#failure);
    const msg = this.#session.message(msgType, content);
    const answered = new Promise<Exchange>((resolve, reject) => {
      this.#pending.set(msg.header.msg_id, { idle: false, outputs: [], resolve, reject, ...options });
    });
    const previous = this.#sending.get(socket) ?? Promise.resolve();
    const sent = previous.then(() => socket.send(this.#session.serialize(msg)));
    this.#sending.set(socket, sent.catch(() => undefined));
    sent.catch((error: Error) => this.#settle(msg.header.msg_id, error));
    return answered;
  }

  async #receive(socket: Dealer | Subscriber, handle: (msg: Message) => void): Promise<void> {
    try {
      for await (const frames of socket) handle(this.#session.parse(frames));
    } catch (error) {
      // Closing the socket ends the loop; anything else (a bad signature) fails the session.
      if (!socket.closed) this.#fail(error as Error);
    }
  }

  #onReply(msg: Message): void {
    const pending = this.#pending.get(msg.parent_header.msg_id ?? "");
    if (!pending) return;
    pending.reply = msg;
    this.#settleIfDone(msg.parent_header.msg_id!, pending);
  }

  #onIopub(msg: Message): void {
    const id = msg.parent_header.msg_id ?? "";
    const pending = this.#pending.get(id);
    if (!pending) return;
    const type = msg.header.msg_type;
    if (type === "status") {
      if ((msg.content as { execution_state?: string }).execution_state === "idle") pending.idle = true;
      this.#settleIfDone(id, pending);
    } else {
      if (type !== "execute_input") pending.outputs.push(msg);
      pending.onOutput?.(msg);
    }
  }

  #settleIfDone(id: string, pending: Pending): void {
    if (pending.reply && (pending.idle || !pending.needsIdle)) {
      this.#pending.delete(id);
      pending.resolve({ reply: pending.reply, outputs: pending.outputs });
    }
  }

  #settle(id: string, error: Error): void {
    this.#pending.get(id)?.reject(error);
    this.#pending.delete(id);
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const id of [...this.#pending.keys()]) this.#settle(id, this.#failure);
  }
}
