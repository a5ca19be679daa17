import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";

/** Jupyter messaging protocol version this client speaks. */
export const protocolVersion = "5.3";

const delimiter = Buffer.from("<IDS|MSG>");

export interface Header {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date: string;
  version: string;
}

export interface Message<Content = Record<string, unknown>> {
  header: Header;
  parent_header: Partial<Header>;
  metadata: Record<string, unknown>;
  content: Content;
}

/** Signs and parses messages for one session (HMAC-SHA256 over header, parent, metadata, content). */
export class Session {
  readonly id = randomUUID();
  readonly #key: string;

  constructor(key: string) {
    this.#key = key;
  }

  message(msgType: string, content: object): Message<object> {
    const header: Header = {
      msg_id: randomUUID(),
      msg_type: msgType,
      session: this.id,
      username: "sparselab",
      date: new Date().toISOString(),
      version: protocolVersion,
    };
    return { header, parent_header: {}, metadata: {}, content };
  }

  /** The frames a DEALER sends: the ROUTER on the kernel side adds our identity. */
  serialize(msg: Message<object>): Buffer[] {
    const parts = [msg.header, msg.parent_header, msg.metadata, msg.content].map((part) => Buffer.from(JSON.stringify(part)));
    return [delimiter, Buffer.from(this.#sign(parts)), ...parts];
  }

  /** Parses received frames; a bad signature means another sender or a wrong key, never data. */
  parse(frames: Buffer[]): Message {
    const at = frames.findIndex((frame) => frame.equals(delimiter));
    if (at < 0 || frames.length < at + 6) {
      throw new Error(`Session.parse(frames): expected <IDS|MSG>, a signature and 4 parts, received ${frames.length} frames`);
    }
    const signature = frames[at + 1]!;
    const parts = frames.slice(at + 2, at + 6);
    const expected = Buffer.from(this.#sign(parts));
    if (this.#key && (signature.length !== expected.length || !timingSafeEqual(signature, expected))) {
      throw new Error(`Session.parse(signature): expected an HMAC-SHA256 signature made with the connection key, received ${JSON.stringify(signature.toString())}`);
    }
    const [header, parent_header, metadata, content] = parts.map((part) => JSON.parse(part.toString("utf8")));
    return { header, parent_header, metadata, content };
  }

  #sign(parts: Buffer[]): string {
    if (!this.#key) return ""; // an empty key switches signing off, per the protocol
    const hmac = createHmac("sha256", this.#key);
    for (const part of parts) hmac.update(part);
    return hmac.digest("hex");
  }
}
