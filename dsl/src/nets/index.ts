import { Net, type NetDefinition, type PrunableTensor } from "./net.js";
import { defineMlp } from "./mlp.js";
import { defineConv } from "./conv.js";
import { defineVit } from "./vit.js";
import type { NetSpec } from "./spec.js";

export { Net, type PrunableTensor, type Weights } from "./net.js";
export { mlp } from "./mlp.js";
export { conv2, conv4, type ConvOptions } from "./conv.js";
export { parseNetSpec, netSpecToString, type NetSpec, type MlpSpec, type ConvSpec, type VitSpec } from "./spec.js";
export { vit, vitForward, vitGeometry, type VitOptions, type LinearHook, type VitForwardOptions } from "./vit.js";

function define(spec: NetSpec): NetDefinition {
  return spec.kind === "mlp" ? defineMlp(spec) : spec.kind === "vit" ? defineVit(spec) : defineConv(spec);
}

/** Rebuilds a net from its spec (as stored in a recipe or checkpoint): same seed, same initial weights. */
export function buildNet(spec: NetSpec): Net {
  return new Net(define(spec));
}

/** The prunable tensors a spec's net would have, without allocating any weights. */
export function prunableTensors(spec: NetSpec): PrunableTensor[] {
  return define(spec).parameters.flatMap((p) => (p.prunable ? [{ name: p.name, shape: p.shape, kind: p.prunable }] : []));
}
