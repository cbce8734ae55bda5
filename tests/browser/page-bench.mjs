// Benchmark of the page in headless Chromium (not a test: it prints figures, it asserts nothing).
//   bash scripts/build-web.sh && node tests/browser/page-bench.mjs [--runs 5] [--drag-steps 240] [--root DIR]
// (--root: another copy of build/web, e.g. one built with LW_MODEL=... for a before/after comparison)
// Measures, against build/web served by sirv on localhost:
//   - first decoded garment on screen after navigation, empty cache (fresh profile each run)
//   - the same from cache (second navigation in the same profile)
//   - slider drag: per frame, decode + search + draw (request sent -> results drawn), p50/p95/max,
//     with the likelihood ranking alone and with the side-by-side comparison
//   - bytes downloaded: before the first garment (the first view) and in total once idle
// Targets (issue): first garment <= 1.0 s empty cache, <= 0.3 s from cache; drag <= 8 ms p95;
// first view <= 3 MB.
import { startServer } from './server.mjs';
import { launch } from './browser.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const RUNS = opt('runs', 5);
const DRAG_STEPS = opt('drag-steps', 240);
const rootIndex = args.indexOf('--root');
const ROOT_DIR = rootIndex >= 0 ? args[rootIndex + 1] : undefined;

const pct = (arr, p) => {
  const s = [...arr].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const median = (arr) => pct(arr, 50);
const ms = (v) => `${v.toFixed(1)} ms`;
const mb = (b) => `${(b / 1e6).toFixed(2)} MB`;

const breakdowns = { cold: [], warm: [] };
async function firstGarment(page, kind) {
  await page.waitForFunction(() => window.__lwPerf && window.__lwPerf.firstGarment !== null, null, { timeout: 30000 });
  const { t, boot, nav, origin, firstWorkerMs } = await page.evaluate(() => ({
    t: window.__lwPerf.firstGarment,
    boot: window.__lwPerf.boot,
    nav: performance.getEntriesByType('navigation')[0]?.toJSON(),
    origin: performance.timeOrigin,
    firstWorkerMs: window.__lwPerf.workerMs[0],
  }));
  // Where the time went, in ms since navigation start (worker phases converted from its clock).
  const w = boot.worker || {};
  const rel = (k) => (w[k] !== undefined ? (w[k] + w.origin - origin).toFixed(0) : '-');
  breakdowns[kind].push(
    `html ${nav ? nav.responseEnd.toFixed(0) : '-'}, main.js running ${boot.appStart.toFixed(0)}, init sent ${boot.initSent?.toFixed(0)}, ` +
      `[worker: started ${rel('start')}, manifest ${rel('manifest')}, loader ${rel('loaderImported')}, wasm bytes ${rel('wasmBytes')}, wasm ready ${rel('wasmReady')}, decoder bytes ${rel('decoderBytes')}, model ${rel('modelReady')}], ` +
      `init done ${boot.initDone?.toFixed(0)}, frame sent ${boot.firstFrame?.sent.toFixed(0)}, answered ${boot.firstFrame?.answered.toFixed(0)} (decode ${firstWorkerMs?.toFixed(1)}), drawn ${boot.firstFrame?.drawn.toFixed(0)}, on screen ${t.toFixed(0)}`,
  );
  return t;
}

async function drag(page, steps) {
  const slider = page.locator('#sliders input[data-dim]').first();
  const box = await slider.boundingBox();
  const y = box.y + box.height / 2;
  await page.evaluate(() => {
    for (const k of ['frames', 'workerMs', 'drawMs', 'mapMs', 'split']) window.__lwPerf[k].length = 0;
  });
  await page.mouse.move(box.x + box.width / 2, y);
  await page.mouse.down();
  for (let i = 0; i < steps; i++) {
    // A triangle wave across the track, one move per ~frame.
    const t = (i % 120) / 120;
    const f = t < 0.5 ? 0.1 + 1.6 * t : 0.9 - 1.6 * (t - 0.5);
    await page.mouse.move(box.x + box.width * f, y);
    await page.waitForTimeout(16);
  }
  await page.mouse.up();
  await page.waitForTimeout(200);
  return page.evaluate(() => ({ frames: [...window.__lwPerf.frames], worker: [...window.__lwPerf.workerMs], draw: [...window.__lwPerf.drawMs], map: [...(window.__lwPerf.mapMs || [])], split: [...(window.__lwPerf.split || [])] }));
}

const server = await startServer(ROOT_DIR ? { root: ROOT_DIR } : {});
const cold = [], warm = [];
let bytesFirstView = 0, bytesTotal = 0, byPath = null;
let dragStats = null, compareStats = null, engine = '';
try {
  for (let r = 0; r < RUNS; r++) {
    const b = await launch();
    try {
      server.resetBytes();
      const page = await b.context.newPage();
      await page.goto(server.url);
      cold.push(await firstGarment(page, 'cold'));
      // Bytes of the requests that arrived before the first garment was on screen (same clock).
      const shownAt = await page.evaluate(() => performance.timeOrigin + window.__lwPerf.firstGarment);
      const firstView = server.bytes.requests.filter((r) => r.t <= shownAt).reduce((s, r) => s + r.bytes, 0);
      await page.waitForSelector('body[data-index="ready"]', { timeout: 60000 });
      await page.waitForTimeout(1500); // result images and the timeline's garments
      if (r === 0) {
        bytesFirstView = firstView;
        bytesTotal = server.bytes.total;
        byPath = [...server.bytes.byPath.entries()].sort((a, b) => b[1] - a[1]);
        engine = await page.textContent('#engine');
      }
      await page.close();
      const again = await b.context.newPage();
      await again.goto(server.url);
      warm.push(await firstGarment(again, 'warm'));
      if (r === 0) {
        await again.waitForSelector('body[data-index="ready"]', { timeout: 60000 });
        await again.waitForTimeout(500);
        const d = await drag(again, DRAG_STEPS);
        dragStats = d;
        await again.check('#compare');
        await again.waitForTimeout(300);
        compareStats = await drag(again, DRAG_STEPS);
      }
      await again.close();
    } finally {
      await b.close();
    }
  }
} finally {
  await server.close();
}

const show = (name, s) => {
  console.log(`  ${name}: ${s.frames.length} frames; decode+search+draw p50 ${ms(median(s.frames))}, p95 ${ms(pct(s.frames, 95))}, max ${ms(Math.max(...s.frames))}; in the worker p50 ${ms(median(s.worker))}, p95 ${ms(pct(s.worker, 95))}; drawing p95 ${ms(pct(s.draw, 95))}${s.map.length ? `; map redraw p95 ${ms(pct(s.map, 95))}` : ''}`);
  if (s.split.length) {
    const part = (j) => s.split.map((r) => r[j]);
    const names = ['to the worker', 'in the worker', 'back (queued behind rendering)', 'drawing'];
    console.log(`    where a frame goes, p50 / p95: ${names.map((n, j) => `${n} ${median(part(j)).toFixed(1)} / ${pct(part(j), 95).toFixed(1)}`).join('; ')}`);
    // The work itself (messages, decode + search, drawing), without the wait while Chromium
    // renders the previous frame; and how many frames missed a 60 Hz frame budget end to end.
    const work = s.split.map((r) => r[0] + r[1] + r[3]);
    const late = s.frames.filter((t) => t > 1000 / 60).length;
    console.log(`    work per frame (without the rendering queue) p50 ${ms(median(work))}, p95 ${ms(pct(work, 95))}; frames over 16.7 ms end to end: ${late} of ${s.frames.length}`);
  }
};
console.log(`latent-wardrobe page benchmark (Chromium headless, localhost, ${RUNS} runs; ${engine.trim()})`);
console.log(`first decoded garment, empty cache: median ${ms(median(cold))}, max ${ms(Math.max(...cold))}   (target <= 1000 ms)  [${cold.map((v) => v.toFixed(0)).join(', ')}]`);
console.log(`first decoded garment, from cache:  median ${ms(median(warm))}, max ${ms(Math.max(...warm))}   (target <= 300 ms)  [${warm.map((v) => v.toFixed(0)).join(', ')}]`);
if (process.env.LW_BENCH_VERBOSE) {
  for (const [kind, list] of Object.entries(breakdowns)) for (const b of list) console.log(`  ${kind}: ${b}`);
}
console.log('slider drag (target p95 <= 8 ms):');
show('likelihood ranking, top 12', dragStats);
show('likelihood + Euclidean side by side', compareStats);
console.log(`downloads: first view (until the first garment) ${mb(bytesFirstView)} (target <= 3 MB); everything once idle ${mb(bytesTotal)}`);
for (const [p, n] of byPath.slice(0, 8)) console.log(`  ${mb(n).padStart(9)}  ${p}`);
const pages = byPath.filter(([p]) => p.includes('/garments/'));
console.log(`  ${mb(pages.reduce((s, [, n]) => s + n, 0)).padStart(9)}  ${pages.length} garment pages in total`);
