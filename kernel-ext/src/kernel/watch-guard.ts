import ts from "@tslab/typescript-for-tslab";

let installed = false;

/**
 * tslab's converter debounces TypeScript's rebuilds with a single timer and throws "Unexpected
 * pending rebuildTimer" when a file watcher schedules a second one — which happens when files the
 * cells import change on disk while the kernel runs (say, `npm run build` during a long cell). The
 * throw happens in an fs watcher callback, so it kills the kernel. The pending rebuild already
 * covers the change, so that one error is dropped; any other error still propagates.
 */
export function guardFileWatchers(): void {
  if (installed) return;
  installed = true;
  const guard = ignorePendingRebuild;
  const { watchFile, watchDirectory } = ts.sys;
  if (watchFile) ts.sys.watchFile = (path, callback, ...rest) => watchFile.call(ts.sys, path, guard(callback), ...rest);
  if (watchDirectory) ts.sys.watchDirectory = (path, callback, ...rest) => watchDirectory.call(ts.sys, path, guard(callback), ...rest);
}

/** The watcher callback, minus tslab's "Unexpected pending rebuildTimer" error. */
export function ignorePendingRebuild<A extends unknown[]>(callback: (...args: A) => void): (...args: A) => void {
  return (...args: A) => {
    try {
      callback(...args);
    } catch (error) {
      if (!(error instanceof Error && error.message === "Unexpected pending rebuildTimer")) throw error;
    }
  };
}
