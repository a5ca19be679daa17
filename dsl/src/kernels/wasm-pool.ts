import { Worker } from "node:worker_threads";

/**
 * Fork-join for the WASM kernels over worker threads that instantiate the same module on the
 * same shared memory. A job is a list of export calls ("chunks") that the main thread and the
 * workers claim one at a time from a shared counter; the main thread never waits for a worker to
 * wake up (on a busy machine it simply runs every chunk itself), only for chunks a worker has
 * claimed. The counter is tagged with the job's generation, so a late worker cannot claim work of
 * a finished job. Each thread passes its own scratch pointer where a call has one.
 */

// Control block (Int32 slots); call records and their arguments follow.
const GEN = 0, CLAIM = 1, DONE = 2, NCALLS = 3, STOP = 4, SCRATCH = 8; // SCRATCH + tid: per-thread scratch pointer
const MAX_THREADS = 16, MAX_CALLS = 64, MAX_ARGS = 20;
const RECORDS = SCRATCH + MAX_THREADS; // per call: fn index, argument count, scratch position (-1: none)
const CTL_INTS = RECORDS + 3 * MAX_CALLS;
const GEN_MASK = 0x1ffffff; // CLAIM = (gen & GEN_MASK) << 6 | next call
/**
 * Contention backoff (as in dsl/native/src/pool.c): when the calling thread spends on average
 * more than STALL_LIMIT of a job waiting for chunks a worker claimed (the worker was descheduled:
 * other processes want the cores), the next BACKOFF_JOBS jobs run on the calling thread alone.
 */
const STALL_LIMIT = 0.35, BACKOFF_JOBS = 2000;

/** One export call: function name, arguments (numbers), and which argument is the scratch pointer. */
export interface WasmCall {
  readonly fn: string;
  readonly args: readonly number[];
  readonly scratchAt?: number;
}

const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { module, memory, ctlBuffer, argBuffer, fnames, tid, startGen } = workerData;
const [GEN, CLAIM, DONE, NCALLS, STOP, SCRATCH, RECORDS, MAX_ARGS, GEN_MASK] = ${JSON.stringify([GEN, CLAIM, DONE, NCALLS, STOP, SCRATCH, RECORDS, MAX_ARGS, GEN_MASK])};
const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
const ctl = new Int32Array(ctlBuffer), argv = new Float64Array(argBuffer);
const fns = fnames.map((n) => ex[n]);
let seen = startGen;
for (;;) {
  let g, spins = 0;
  while ((g = Atomics.load(ctl, GEN)) === seen) {
    if (++spins < 200000) continue; // ~0.5 ms of spinning before sleeping: kernels come in bursts
    Atomics.wait(ctl, GEN, seen);
  }
  if (Atomics.load(ctl, STOP)) break;
  seen = g;
  const tag = (g & GEN_MASK) << 6;
  for (;;) {
    const c = Atomics.load(ctl, CLAIM);
    if ((c & ~63) !== tag || (c & 63) >= Atomics.load(ctl, NCALLS)) break;
    if (Atomics.compareExchange(ctl, CLAIM, c, c + 1) !== c) continue;
    const r = RECORDS + 3 * (c & 63), n = ctl[r + 1], at = ctl[r + 2];
    const args = Array.from(argv.subarray((c & 63) * MAX_ARGS, (c & 63) * MAX_ARGS + n));
    if (at >= 0) args[at] = ctl[SCRATCH + tid];
    fns[ctl[r]](...args);
    Atomics.add(ctl, DONE, 1);
    Atomics.notify(ctl, DONE);
  }
}
`;

export class WasmPool {
  readonly threads: number;
  readonly #ctl: Int32Array;
  readonly #argv: Float64Array;
  readonly #fnames: string[];
  readonly #exports: Record<string, (...args: number[]) => unknown>;
  readonly #workers: Worker[] = [];
  #gen = 0;
  #stall = 0;
  #backoff = 0;

  /** `workers` helper threads besides the calling one; `exports` is the calling thread's instance. */
  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, exports: Record<string, unknown>, workers: number) {
    this.threads = Math.min(MAX_THREADS, workers + 1);
    this.#ctl = new Int32Array(new SharedArrayBuffer(4 * CTL_INTS));
    this.#argv = new Float64Array(new SharedArrayBuffer(8 * MAX_CALLS * MAX_ARGS));
    this.#fnames = Object.keys(exports).filter((k) => typeof exports[k] === "function");
    this.#exports = exports as Record<string, (...args: number[]) => unknown>;
    for (let tid = 1; tid < this.threads; tid++) {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { module, memory, ctlBuffer: this.#ctl.buffer, argBuffer: this.#argv.buffer, fnames: this.#fnames, tid, startGen: 0 },
      });
      worker.unref(); // idle workers must not keep the process alive
      this.#workers.push(worker);
    }
  }

  /** Sets thread `tid`'s scratch pointer (used where a call has `scratchAt`). */
  setScratch(tid: number, ptr: number): void {
    this.#ctl[SCRATCH + tid] = ptr;
  }

  /** Runs the calls on all threads; returns when every call has finished. */
  run(calls: readonly WasmCall[]): void {
    const ctl = this.#ctl;
    if (calls.length > MAX_CALLS) throw new Error(`WasmPool.run: at most ${MAX_CALLS} calls`);
    if (this.#backoff > 0) {
      this.#backoff--;
      for (const call of calls) this.#call(call);
      return;
    }
    const t0 = performance.now();
    calls.forEach((call, i) => {
      const fn = this.#fnames.indexOf(call.fn);
      if (fn < 0 || call.args.length > MAX_ARGS) throw new Error(`WasmPool.run: bad call ${call.fn}`);
      ctl[RECORDS + 3 * i] = fn;
      ctl[RECORDS + 3 * i + 1] = call.args.length;
      ctl[RECORDS + 3 * i + 2] = call.scratchAt ?? -1;
      this.#argv.set(call.args, i * MAX_ARGS);
    });
    const gen = (this.#gen = (this.#gen + 1) & 0x7fffffff);
    const tag = (gen & GEN_MASK) << 6;
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, NCALLS, calls.length);
    Atomics.store(ctl, CLAIM, tag);
    Atomics.store(ctl, GEN, gen);
    Atomics.notify(ctl, GEN);
    for (;;) {
      const c = Atomics.load(ctl, CLAIM);
      if ((c & 63) >= calls.length) break;
      if (Atomics.compareExchange(ctl, CLAIM, c, c + 1) !== c) continue;
      this.#call(calls[c & 63]);
      Atomics.add(ctl, DONE, 1);
    }
    const t1 = performance.now();
    for (let spins = 0; Atomics.load(ctl, DONE) < calls.length; spins++) {
      if (spins > 2000) Atomics.wait(ctl, DONE, Atomics.load(ctl, DONE), 1);
    }
    const t2 = performance.now();
    this.#stall = 0.9 * this.#stall + 0.1 * (t2 > t0 ? (t2 - t1) / (t2 - t0) : 0);
    if (this.#stall > STALL_LIMIT) {
      this.#backoff = BACKOFF_JOBS;
      this.#stall = 0;
    }
  }

  /** One call on this thread, with this thread's scratch pointer. */
  #call(call: WasmCall): void {
    const args = call.scratchAt === undefined ? call.args : call.args.map((a, i) => (i === call.scratchAt ? this.#ctl[SCRATCH] : a));
    this.#exports[call.fn](...args);
  }

  dispose(): void {
    Atomics.store(this.#ctl, STOP, 1);
    Atomics.add(this.#ctl, GEN, 1);
    Atomics.notify(this.#ctl, GEN);
    for (const w of this.#workers) void w.terminate();
  }
}
