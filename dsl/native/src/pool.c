/* A tiny fork-join pool on pthreads (no OpenMP, so the addon needs nothing beyond libc).
 *
 * Work is a list of chunks claimed dynamically from one atomic counter, by the calling thread
 * and by the workers alike. The caller never waits for a worker to wake up: when the workers are
 * slow to be scheduled (a busy machine), the caller simply runs every chunk itself, and it only
 * waits for chunks a worker has actually claimed. The counter is tagged with the job's
 * generation, so a worker that wakes late cannot claim work of a job that has already finished.
 * Workers spin briefly after each job (a training step calls ~10 kernels back to back), then
 * sleep on a condition variable. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "spk.h"

#define MAX_THREADS 16
#define SPIN_ROUNDS 40000 /* pause instructions (~0.5 ms) before an idle worker sleeps */
/* Contention backoff: when the caller spends on average more than STALL_LIMIT of a job waiting
   for chunks a worker claimed (the worker was descheduled mid-chunk: other processes want the
   cores), the next BACKOFF_JOBS jobs run on the caller alone, then threads are tried again. On a
   busy 2-core machine this is 2-3x faster than insisting on 2 threads. */
#define STALL_LIMIT 0.35
#define BACKOFF_JOBS 2000

static struct {
  pthread_mutex_t mu;
  pthread_cond_t wake;
  atomic_uint generation;   /* last published job */
  atomic_uint_fast64_t claim; /* generation << 32 | next chunk */
  atomic_int done;          /* chunks finished */
  atomic_int busy;          /* a JS thread is using the pool */
  spk_chunk_fn fn;
  void *ctx;
  int chunks, nt;
  int workers; /* started so far */
  double stall; /* moving average of the share of a job spent waiting for workers */
  int backoff;  /* jobs left to run on the caller alone */
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0};

static inline double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static inline void relax(void) { __builtin_ia32_pause(); }

/* Claims and runs chunks of job `gen` until none are left (or the job is another one). */
static void run_chunks(unsigned gen, int tid) {
  for (;;) {
    uint_fast64_t c = atomic_load_explicit(&pool.claim, memory_order_acquire);
    if ((unsigned)(c >> 32) != gen || (int)(uint32_t)c >= pool.chunks) return;
    if (atomic_compare_exchange_weak_explicit(&pool.claim, &c, c + 1, memory_order_acq_rel, memory_order_acquire)) {
      pool.fn(pool.ctx, (int)(uint32_t)c, tid);
      atomic_fetch_add_explicit(&pool.done, 1, memory_order_release);
    }
  }
}

static void *worker_main(void *arg) {
  /* arg = generation at creation << 8 | id, so that a worker that starts late still sees the
     job posted right after it was created. */
  int id = (int)((uintptr_t)arg & 0xff);
  unsigned seen = (unsigned)((uintptr_t)arg >> 8);
  for (;;) {
    unsigned g;
    int spins = 0;
    while ((g = atomic_load_explicit(&pool.generation, memory_order_acquire)) == seen) {
      if (++spins < SPIN_ROUNDS) { relax(); continue; }
      pthread_mutex_lock(&pool.mu);
      while ((g = atomic_load_explicit(&pool.generation, memory_order_acquire)) == seen) pthread_cond_wait(&pool.wake, &pool.mu);
      pthread_mutex_unlock(&pool.mu);
      break;
    }
    seen = g;
    if (id < pool.nt) run_chunks(g, id);
  }
  return 0;
}

int spk_max_threads(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
}

/* Starts workers until `want` threads can run; returns how many can (>= 1). Caller holds `busy`. */
static int ensure_workers(int want) {
  if (want > MAX_THREADS) want = MAX_THREADS;
  while (pool.workers + 1 < want) {
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    uintptr_t arg = ((uintptr_t)atomic_load(&pool.generation) << 8) | (uintptr_t)(pool.workers + 1);
    int rc = pthread_create(&th, &attr, worker_main, (void *)arg);
    pthread_attr_destroy(&attr);
    if (rc != 0) break;
    pool.workers++;
  }
  return pool.workers + 1 < want ? pool.workers + 1 : want;
}

void spk_parallel_for(spk_chunk_fn fn, void *ctx, int chunks, int nthreads) {
  int expected = 0;
  if (nthreads <= 1 || chunks <= 1 || !atomic_compare_exchange_strong(&pool.busy, &expected, 1)) {
    for (int c = 0; c < chunks; c++) fn(ctx, c, 0);
    return;
  }
  int nt = pool.backoff > 0 ? 1 : ensure_workers(nthreads);
  if (nt <= 1) {
    if (pool.backoff > 0) pool.backoff--;
    atomic_store(&pool.busy, 0);
    for (int c = 0; c < chunks; c++) fn(ctx, c, 0);
    return;
  }
  const double t0 = seconds();
  unsigned gen = atomic_load_explicit(&pool.generation, memory_order_relaxed) + 1;
  pool.fn = fn;
  pool.ctx = ctx;
  pool.chunks = chunks;
  pool.nt = nt;
  atomic_store_explicit(&pool.done, 0, memory_order_relaxed);
  atomic_store_explicit(&pool.claim, (uint_fast64_t)gen << 32, memory_order_release);
  pthread_mutex_lock(&pool.mu);
  atomic_store_explicit(&pool.generation, gen, memory_order_release);
  pthread_cond_broadcast(&pool.wake);
  pthread_mutex_unlock(&pool.mu);
  run_chunks(gen, 0);
  const double t1 = seconds();
  /* only chunks a worker claimed and is still running remain */
  for (int spins = 0; atomic_load_explicit(&pool.done, memory_order_acquire) < chunks; spins++) {
    if (spins < 2000) relax();
    else sched_yield();
  }
  const double t2 = seconds();
  pool.stall = 0.9 * pool.stall + 0.1 * (t2 > t0 ? (t2 - t1) / (t2 - t0) : 0.0);
  if (pool.stall > STALL_LIMIT) {
    pool.backoff = BACKOFF_JOBS;
    pool.stall = 0.0;
  }
  atomic_store_explicit(&pool.busy, 0, memory_order_release);
}

/* ---- per-thread scratch, owned by the calling (JS) thread ---- */
typedef struct { float *p[SPK_SCRATCH_SLOTS]; size_t cap[SPK_SCRATCH_SLOTS]; } scratch_set;
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *arg) {
  scratch_set *s = arg;
  for (int i = 0; i < SPK_SCRATCH_SLOTS; i++) free(s->p[i]);
  free(s);
}
static void scratch_init(void) { pthread_key_create(&scratch_key, scratch_free); }

float *spk_scratch(int slot, size_t floats) {
  pthread_once(&scratch_once, scratch_init);
  scratch_set *s = pthread_getspecific(scratch_key);
  if (!s) {
    s = calloc(1, sizeof *s);
    if (!s) return 0;
    pthread_setspecific(scratch_key, s);
  }
  if (s->cap[slot] < floats) {
    free(s->p[slot]);
    size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
    s->p[slot] = aligned_alloc(64, bytes);
    s->cap[slot] = s->p[slot] ? floats : 0;
  }
  return s->p[slot];
}
