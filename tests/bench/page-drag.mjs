// Slider-drag benchmark (part of `npm run bench`; alone: bash scripts/build-web.sh && node
// tests/bench/page-drag.mjs). Not a test: it prints figures and writes them to
// bench-results/page-drag-<timestamp>.json; it asserts nothing.
//
// Protocol (issue 14: "the page keeps 60 frames per second while dragging"):
//   - the production build (build/site/) served by scripts/serve.mjs, the server `npm start` runs,
//     in this process, on a free port of 127.0.0.1;
//   - Debian's Chromium (/usr/bin/chromium) through playwright-core: headless, --no-sandbox,
//     --disable-gpu (software compositing), a fresh profile per run, 1440 x 1000 viewport;
//   - the visit settles first (the index loaded, the service worker in control, 1 s without requests);
//   - the drag: tests/browser/drag.mjs on the first latent slider, --steps mouse moves (default 240,
//     about 4 s), once with the likelihood ranking (the page's default) and once with "Compare side
//     by side" on (the Euclidean ranking beside it: twice the cards);
//   - frames: a requestAnimationFrame loop, started once the mouse button is down on the slider and
//     stopped when the button is up again, records each frame's timestamp; frames per second =
//     intervals / span, and dropped frames = the 60 Hz frames the intervals skipped (an interval of
//     33 ms skipped one);
//   - mouse moves per second: Playwright's mouse move returns once the page has taken the event, so
//     a page that is slow to take input gets fewer than 60 (the reference gets about 60);
//   - garment updates (the page only): the page's own marks (window.__lwPerf.frames), from the
//     animation frame that sent z to the worker to the decoded garment and its rankings drawn, for
//     every z sent from the button going down until 200 ms after it went up (the last answer);
//     per second = updates / the frame log's span; requests = what reached the server meanwhile
//     (garment pages: the service worker answers pages it has from its cache); in the worker p95 =
//     the worker's own time per update;
//   - reference: a static page with one range input as wide as the page's first latent slider (its
//     width measured in the same run) and the same range and step, and a 28 x 28 canvas that
//     redraws on the animation frame after each input event, dragged the same way in the same browser
//     build, interleaved run by run: what this machine's headless Chromium delivers when the page
//     costs nothing;
//   - the median of --runs (default 3) of each figure; ratios are page median / reference median.
// Options: --runs N, --steps N, --root DIR (a built site, e.g. another model's for a before/after).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { launch, settleVisit } from '../browser/browser.mjs';
import { dragSlider } from '../browser/drag.mjs';
import { startSiteServer, siteRoot, repoRoot } from '../../scripts/serve.mjs';
import { percentile, summary } from './stats.mjs';

const USAGE = 'usage: node tests/bench/page-drag.mjs [--runs N >= 1, default 3] [--steps N >= 2, default 240] [--root SITE_DIR, default build/site]';
function usageError(message) {
  console.error(`page-drag: ${message}\n${USAGE}`);
  process.exit(2);
}
let options;
try {
  ({ values: options } = parseArgs({
    options: { runs: { type: 'string', default: '3' }, steps: { type: 'string', default: '240' }, root: { type: 'string' }, help: { type: 'boolean' } },
    strict: true,
  }));
} catch (e) {
  usageError(e.message);
}
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}
const whole = (name, min) => {
  const text = options[name];
  if (!/^[0-9]{1,6}$/.test(text) || Number(text) < min) usageError(`--${name} must be a whole number >= ${min}, got '${text}'`);
  return Number(text);
};
const RUNS = whole('runs', 1);
const STEPS = whole('steps', 2);
const ROOT = path.resolve(options.root || siteRoot);
if (!fs.existsSync(path.join(ROOT, 'index.html'))) usageError(`${ROOT}/index.html not found: build the site first (bash scripts/build-web.sh), or give --root a built site`);
const SLIDER = '#sliders input[data-dim]';
const FRAME_MS = 1000 / 60;
const REFERENCE_PATH = '/__bench/drag.html';

// The reference: the page's slider element (same selector; the width of the page's first latent
// slider, ?w=PX; the page's default range and step) and a canvas scaled like the preview, redrawn
// from the slider's value on the next animation frame after each input event, as the page's frame
// loop does.
const referencePage = (width) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>drag reference</title>
<style>body { margin: 40px; } #sliders input { width: ${width}px; margin: 0; } canvas { width: 224px; height: 224px; image-rendering: pixelated; display: block; }</style>
</head><body><div id="sliders"><input type="range" data-dim="0" min="-5" max="5" step="0.01" value="0"></div>
<canvas id="preview" width="28" height="28"></canvas>
<script>
  const input = document.querySelector('input'), ctx = document.getElementById('preview').getContext('2d');
  const img = ctx.createImageData(28, 28);
  let pending = false;
  const draw = () => {
    pending = false;
    const v = Number(input.value);
    for (let i = 0; i < 784; i++) img.data.set([(i * 7 + v * 40) & 255, 90, 160, 255], 4 * i);
    ctx.putImageData(img, 0, 0);
  };
  input.addEventListener('input', () => { if (!pending) { pending = true; requestAnimationFrame(draw); } });
  draw();
</script></body></html>`;

function serveReference(req, res) {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname !== REFERENCE_PATH) return false;
  const width = Math.min(2000, Math.max(50, Math.round(Number(url.searchParams.get('w')) || 300)));
  res.writeHead(200, { 'Content-Type': 'text/html;charset=utf-8', 'Cache-Control': 'no-cache' });
  res.end(referencePage(width));
  return true;
}

// The rAF loop of the protocol; window.__dragFrames holds the timestamps (ms, page clock).
const startFrameLog = (page) => page.evaluate(() => {
  const log = (window.__dragFrames = { t: [], on: true });
  const tick = (t) => {
    if (!log.on) return;
    log.t.push(t);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
});
const stopFrameLog = (page) => page.evaluate(() => {
  window.__dragFrames.on = false;
  return window.__dragFrames.t;
});

/** Frames per second, dropped 60 Hz frames and the interval p95 of a list of frame timestamps. */
function frameFigures(times) {
  if (times.length < 2) throw new Error(`page-drag: ${times.length} animation frame(s) during the drag; the page did not render`);
  const intervals = times.slice(1).map((t, i) => t - times[i]);
  const span = times[times.length - 1] - times[0];
  const dropped = intervals.reduce((s, iv) => s + Math.max(0, Math.round(iv / FRAME_MS) - 1), 0);
  return { fps: (1000 * intervals.length) / span, dropped, intervalP95: percentile(intervals, 95), spanMs: span };
}

// One drag of the page's slider: frame figures, the page's garment updates, and the requests that
// reached the server meanwhile (garment pages the result cards needed).
async function dragPage(page, requests) {
  const before = requests.length;
  const start = async () => {
    await page.evaluate(() => {
      for (const k of ['frames', 'workerMs', 'drawMs', 'split']) window.__lwPerf[k].length = 0;
    });
    await startFrameLog(page);
  };
  const input = await dragSlider(page, SLIDER, STEPS, { onStart: start });
  const frames = { ...frameFigures(await stopFrameLog(page)), movesPerSecond: (1000 * input.moves) / input.ms };
  await page.waitForTimeout(200); // the last answer drawn
  const marks = await page.evaluate(() => ({ updates: [...window.__lwPerf.frames], worker: [...window.__lwPerf.workerMs], split: [...window.__lwPerf.split] }));
  const waiting = marks.split.map((r) => r[2]);
  return {
    ...frames,
    updates: marks.updates.length,
    updatesPerSecond: (1000 * marks.updates.length) / frames.spanMs,
    updateP50: percentile(marks.updates, 50),
    updateP95: percentile(marks.updates, 95),
    updatesOver16: marks.updates.filter((t) => t > FRAME_MS).length,
    workerP95: percentile(marks.worker, 95),
    queuedP95: percentile(waiting, 95),
    requests: requests.length - before,
  };
}

async function measurePage(url, requests) {
  const b = await launch();
  try {
    const page = await b.context.newPage();
    await page.goto(url);
    const serviceWorker = await settleVisit(page, requests);
    if (await page.getAttribute('body', 'data-index') !== 'ready') throw new Error('page-drag: the garment index did not load; the page has nothing to rank');
    const sliderWidth = (await page.locator(SLIDER).first().boundingBox()).width;
    const likelihood = await dragPage(page, requests);
    await page.check('#compare');
    await page.waitForTimeout(500);
    const compare = await dragPage(page, requests);
    return { likelihood, compare, serviceWorker, sliderWidth, engine: (await page.textContent('#engine'))?.trim() || '' };
  } finally {
    await b.close();
  }
}

async function measureReference(url) {
  const b = await launch();
  try {
    const page = await b.context.newPage();
    await page.goto(url);
    await page.waitForTimeout(1000);
    const input = await dragSlider(page, SLIDER, STEPS, { onStart: () => startFrameLog(page) });
    return { ...frameFigures(await stopFrameLog(page)), movesPerSecond: (1000 * input.moves) / input.ms };
  } finally {
    await b.close();
  }
}

const pick = (list, key) => list.map((x) => x[key]);
const summarise = (list, keys) => Object.fromEntries(keys.map((k) => [k, summary(pick(list, k))]));

async function main() {
  const requests = [];
  const server = await startSiteServer({ root: ROOT, intercept: serveReference, onRequest: (e) => requests.push(e) });
  const runs = { likelihood: [], compare: [], reference: [] };
  let engine = '';
  try {
    for (let r = 0; r < RUNS; r++) {
      const app = await measurePage(server.url, requests);
      const ref = await measureReference(server.url.replace(/\/$/, `${REFERENCE_PATH}?w=${Math.round(app.sliderWidth)}`));
      runs.likelihood.push(app.likelihood);
      runs.compare.push(app.compare);
      runs.reference.push(ref);
      runs.serviceWorker = [...(runs.serviceWorker || []), app.serviceWorker];
      engine = app.engine || engine;
      const f = (x) => `${x.fps.toFixed(1)} fps, ${x.dropped} dropped`;
      const p95 = (x) => (x.updateP95 === null ? 'none' : `${x.updateP95.toFixed(1)} ms`);
      console.log(`run ${r + 1}/${RUNS}: likelihood ${f(app.likelihood)}, updates p95 ${p95(app.likelihood)}; ` +
        `side by side ${f(app.compare)}, updates p95 ${p95(app.compare)}; reference ${f(ref)}`);
    }
  } finally {
    await server.close();
  }
  const frameKeys = ['fps', 'dropped', 'intervalP95', 'movesPerSecond'];
  const pageKeys = [...frameKeys, 'updates', 'updatesPerSecond', 'updateP50', 'updateP95', 'updatesOver16', 'workerP95', 'queuedP95', 'requests'];
  const out = {
    date: new Date().toISOString(),
    root: path.relative(repoRoot, ROOT) || ROOT,
    protocol: `production build on npm start's server (in process); fresh headless Chromium profile per run; ${STEPS}-step drag of the first latent slider (tests/browser/drag.mjs) once the visit settled; frames = a requestAnimationFrame loop during the drag; updates = the page's marks from sending z to the garment and rankings drawn; reference = a static page with one slider and a canvas redrawn per input, same drag, interleaved; medians of runs`,
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadavg: os.loadavg() },
    engine,
    serviceWorkerInControl: runs.serviceWorker,
    runs: RUNS,
    steps: STEPS,
    likelihood: summarise(runs.likelihood, pageKeys),
    compare: summarise(runs.compare, pageKeys),
    reference: summarise(runs.reference, frameKeys),
  };
  out.ratios = {
    likelihoodFps: out.likelihood.fps.median / out.reference.fps.median,
    compareFps: out.compare.fps.median / out.reference.fps.median,
  };
  const sw = runs.serviceWorker.every(Boolean) ? 'service worker in control' : `service worker in control in ${runs.serviceWorker.filter(Boolean).length} of ${RUNS} runs`;
  console.log(`\nslider drag (${RUNS} run${RUNS === 1 ? '' : 's'} of ${STEPS} mouse moves, medians [min-max]; ${sw}; the page says: "${engine}"):`);
  const range = (s, d = 1) => (s.median === null ? '-' : `${s.median.toFixed(d)} [${s.min.toFixed(d)}-${s.max.toFixed(d)}]`);
  for (const [name, s, ratio] of [['likelihood ranking', out.likelihood, out.ratios.likelihoodFps], ['side by side', out.compare, out.ratios.compareFps]]) {
    console.log(`  ${name.padEnd(20)} ${range(s.fps)} fps = ${ratio.toFixed(3)}x reference; dropped frames ${range(s.dropped, 0)}; frame interval p95 ${range(s.intervalP95)} ms; mouse moves ${range(s.movesPerSecond)} per s`);
    console.log(`  ${''.padEnd(20)} garment updates ${range(s.updatesPerSecond)} per s, z sent -> drawn p50 ${range(s.updateP50)} ms, p95 ${range(s.updateP95)} ms, ` +
      `over 16.7 ms ${range(s.updatesOver16, 0)} of ${s.updates.median}; in the worker p95 ${range(s.workerP95)} ms; requests ${range(s.requests, 0)}`);
  }
  console.log(`  ${'reference'.padEnd(20)} ${range(out.reference.fps)} fps; dropped frames ${range(out.reference.dropped, 0)}; frame interval p95 ${range(out.reference.intervalP95)} ms; mouse moves ${range(out.reference.movesPerSecond)} per s`);
  console.log('  (fps: animation frames per second during the moves; dropped: 60 Hz frames skipped; garment updates: z sent to the worker ->\n' +
    '   garment and rankings drawn; mouse moves per s: how fast the page took a 60 Hz mouse; reference: a static page with one slider;\n' +
    '   requests: downloads that reached the server, mostly garment pages. The protocol is at the top of tests/bench/page-drag.mjs.)');
  const dir = path.join(repoRoot, 'bench-results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `page-drag-${out.date.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(out, null, 2));
  console.log(file);
}

await main();
