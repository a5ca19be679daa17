import { validateLrSchedule, type LrSchedule } from "../schedules/lr.js";
import { checkKnownKeys, checkNonNegativeInt, checkPlainObject, checkPositiveInt } from "../validate.js";
import { argError } from "../errors.js";
import { validateOptimizer, type OptimizerSpec } from "./optimizers.js";

/** How to train, as it appears in a recipe (the data is described separately). */
export interface TrainSpec {
  readonly epochs: number;
  readonly batchSize: number;
  readonly optimizer: OptimizerSpec;
  readonly schedule?: LrSchedule;
  /** Seeds batch order and the randomness of mask updates. */
  readonly seed: number;
  /** Drop the last incomplete batch of each epoch. */
  readonly dropLast?: boolean;
}

export const TRAIN_KEYS = ["epochs", "batchSize", "optimizer", "schedule", "seed", "dropLast"] as const;

export function validateTrainSpec(value: unknown, call = "train"): TrainSpec {
  const o = checkPlainObject(call, "options", value);
  checkKnownKeys(call, "options", o, TRAIN_KEYS);
  checkPositiveInt(call, "epochs", o.epochs);
  checkPositiveInt(call, "batchSize", o.batchSize);
  checkNonNegativeInt(call, "seed", o.seed);
  if (o.dropLast !== undefined && typeof o.dropLast !== "boolean") throw argError(call, "dropLast", "a boolean", o.dropLast);
  return Object.freeze({
    ...o,
    optimizer: validateOptimizer(o.optimizer, call),
    ...(o.schedule === undefined ? {} : { schedule: validateLrSchedule(o.schedule, call) }),
  }) as TrainSpec;
}
