// Measurements read by the page benchmarks (tests/bench/page-load.mjs, page-drag.mjs, trace-drag.mjs) and
// the browser tests; published as window.__lwPerf by main.js.
export const perf = { firstGarment: null, indexReady: null, frames: [], workerMs: [], mapMs: [], drawMs: [], split: [], boot: { appStart: performance.now() } };

/** Appends v to the series name, up to 5000 entries. */
export function record(name, v) {
  if (perf[name].length < 5000) perf[name].push(v);
}
