/**
 * Zhu & Gupta's cubic schedule: s(t) = s_f + (s_i − s_f)(1 − p)³ with p = clip((t − t0)/(t1 − t0), 0, 1).
 * Sparsity rises fast early, when many redundant weights exist, and slowly near the target.
 */
export function cubicSparsity(step: number, from: number, to: number, beginStep: number, endStep: number): number {
  const progress = endStep <= beginStep ? 1 : Math.min(1, Math.max(0, (step - beginStep) / (endStep - beginStep)));
  return to + (from - to) * (1 - progress) ** 3;
}

/**
 * The steps (counted after each optimizer step, 1-based) at which a pruning schedule acts:
 * begin, begin + every, … and always the end step itself, so the target is reached exactly.
 */
export function updateSteps(beginStep: number, endStep: number, every: number): number[] {
  const steps: number[] = [];
  for (let s = beginStep; s < endStep; s += every) steps.push(s);
  steps.push(endStep);
  return steps;
}
