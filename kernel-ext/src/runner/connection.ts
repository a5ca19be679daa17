import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";

export interface ConnectionInfo {
  transport: "tcp";
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: "hmac-sha256";
  kernel_name: string;
}

/** Ports the OS reports free, all held open together so none comes back twice. */
async function freePorts(count: number, ip: string): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(
      servers.map(
        (server) =>
          new Promise<number>((resolve, reject) => {
            server.once("error", reject);
            server.listen(0, ip, () => resolve((server.address() as AddressInfo).port));
          }),
      ),
    );
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

/** Writes a connection file for a kernel to bind; the key signs every message. */
export async function writeConnectionFile(path: string, kernelName: string): Promise<ConnectionInfo> {
  const ip = "127.0.0.1";
  const [shell_port, iopub_port, stdin_port, control_port, hb_port] = await freePorts(5, ip);
  const info: ConnectionInfo = {
    transport: "tcp",
    ip,
    shell_port: shell_port!,
    iopub_port: iopub_port!,
    stdin_port: stdin_port!,
    control_port: control_port!,
    hb_port: hb_port!,
    key: randomBytes(32).toString("hex"),
    signature_scheme: "hmac-sha256",
    kernel_name: kernelName,
  };
  writeFileSync(path, JSON.stringify(info, null, 2), { mode: 0o600 });
  return info;
}
