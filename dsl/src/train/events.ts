import type { MaskSetReport } from "../masks/index.js";

/** Progress of a run, as a stream of plain objects: display code subscribes, the DSL prints nothing. */
export type RunEvent =
  | { readonly type: "start"; readonly totalSteps: number; readonly epochs: number; readonly stepsPerEpoch: number; readonly report: MaskSetReport; readonly label?: string; readonly engine?: string }
  | { readonly type: "step"; readonly step: number; readonly epoch: number; readonly loss: number; readonly lr: number }
  | { readonly type: "epoch"; readonly step: number; readonly epoch: number; readonly record: HistoryRecord }
  | {
    readonly type: "mask"; readonly step: number; readonly report: MaskSetReport;
    readonly dropped: Readonly<Record<string, number>>; readonly grown: Readonly<Record<string, number>>;
    /** Fraction of prunable weights ever active so far; IoU of the masks with the initial ones. */
    readonly explorationRate: number; readonly overlapWithInitial: number;
  }
  | { readonly type: "end"; readonly step: number; readonly testAccuracy: number; readonly testLoss: number };

/** One row of a run's history (one per epoch). */
export interface HistoryRecord {
  readonly epoch: number;
  readonly step: number;
  readonly lr: number;
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  readonly valLoss: number;
  readonly valAccuracy: number;
  readonly density: number;
  readonly explorationRate: number;
  readonly seconds: number;
}

export type EventListener = (event: RunEvent) => void;
