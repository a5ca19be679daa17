import { argError, SparselabError } from "../errors.js";
import type { Net } from "../nets/index.js";
import { SparseDelta, type AppliedDelta } from "./delta.js";

/**
 * Several deltas on one base net, fused one at a time: `use("task")` unfuses the active delta
 * (restoring the base exactly) and fuses the named one in place, so switching costs only the
 * entries the two deltas touch and never copies the net.
 */
export class DeltaSwitch {
  readonly net: Net;
  readonly #deltas: ReadonlyMap<string, SparseDelta>;
  #active?: { name: string; applied: AppliedDelta };

  constructor(net: Net, deltas: Readonly<Record<string, SparseDelta>>) {
    if (typeof deltas !== "object" || deltas === null) throw argError("DeltaSwitch", "deltas", "an object of named SparseDeltas", deltas);
    for (const [name, d] of Object.entries(deltas)) {
      if (!(d instanceof SparseDelta)) throw argError("DeltaSwitch", `deltas.${name}`, "a SparseDelta", d);
      if (d.family !== net.family) {
        throw new SparselabError(`DeltaSwitch(deltas.${name}): expected a delta for ${JSON.stringify(net.family)}, received one for ${JSON.stringify(d.family)}`);
      }
    }
    this.net = net;
    this.#deltas = new Map(Object.entries(deltas));
  }

  get names(): readonly string[] {
    return [...this.#deltas.keys()];
  }

  /** The fused delta's name, or undefined when the net holds its base weights. */
  get active(): string | undefined {
    return this.#active?.name;
  }

  /** Fuses `name` (unfusing the current one first); `undefined` returns to the base. */
  use(name: string | undefined): void {
    if (name !== undefined && !this.#deltas.has(name)) throw argError("DeltaSwitch.use", "name", `one of ${this.names.map((n) => JSON.stringify(n)).join(", ")}`, name);
    if (this.#active?.name === name) return;
    this.#active?.applied.revert();
    this.#active = undefined;
    if (name !== undefined) this.#active = { name, applied: this.#deltas.get(name)!.apply(this.net) };
  }
}
