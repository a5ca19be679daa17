import { SparselabError } from "../errors.js";
import { formatShape } from "../masks/shape.js";
import { checkSparsity } from "../validate.js";
import { erdosRenyiAllocation } from "./erdos-renyi.js";
import { defineDistribution } from "./layerwise.js";
import type { Distribution, ErConfig, LayerwiseAllocation } from "./types.js";

/**
 * Erdős–Rényi (SET, RigL with include_kernel=False): raw density (n_in + n_out) / (n_in·n_out)
 * from the last two dims only, as rigl does. So a conv kernel [kh, kw, cin, cout] counts
 * (cin + cout) / (cin·cout), ignoring the kernel window; for dense kernels [in, out] ER equals ERK.
 */
export function er(sparsity: number): Distribution<ErConfig, LayerwiseAllocation> {
  checkSparsity("er", "sparsity", sparsity);
  return defineDistribution({ name: "er", sparsity }, (tensors) => {
    const vector = tensors.find((tensor) => tensor.shape.length < 2);
    if (vector) {
      throw new SparselabError(`er.allocate(tensors): expected kernels of rank ≥ 2 (ER needs fan-in and fan-out), ` +
        `received "${vector.name}" of shape ${formatShape(vector.shape)}`);
    }
    return erdosRenyiAllocation(tensors, sparsity, (shape) => {
      const [fanIn, fanOut] = shape.slice(-2);
      return (fanIn + fanOut) / (fanIn * fanOut);
    });
  });
}
