export { Mask, type TopKOptions } from "./mask.js";
export { type RandomSource } from "./checks.js";
export { nmMask, isNM } from "./nm.js";
export { MaskSet, type LayerReport, type MaskSetReport, type MaskSetOverlap } from "./mask-set.js";
export { encodeMaskSet, decodeMaskSet, MASK_FILE_MAGIC, MASK_FILE_VERSION } from "./codec.js";
export { saveMaskSet, loadMaskSet } from "./mask-file.js";
export { type TensorSpec, formatShape, shapeSize } from "./shape.js";
