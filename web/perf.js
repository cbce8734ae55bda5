// Measurements read by the page benchmarks (tests/bench/page-load.mjs, page-drag.mjs, trace-drag.mjs) and
// the browser tests; published as window.__lwPerf by main.js.
// imageWaits: result cards that waited before downloading their garment's page because it was
// churning; imageRetries: downloads asked for again after the store dropped them (web/search.js).
export const perf = { firstGarment: null, indexReady: null, imageWaits: 0, imageRetries: 0, frames: [], workerMs: [], mapMs: [], drawMs: [], split: [], boot: { appStart: performance.now() } };

/** Appends v to the series name, up to 5000 entries. */
export function record(name, v) {
  if (perf[name].length < 5000) perf[name].push(v);
}
