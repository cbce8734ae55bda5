// Chromium trace of one cold load and one reload of the production build (scripts/serve.mjs), for
// finding where the first garment's time goes. Not a test or a bench figure: prints each thread's
// busy time up to the first garment and its longest events.
// node tests/bench/trace-load.mjs [--out DIR] [--root SITE]
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import { startSiteServer } from '../../scripts/serve.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from '../browser/browser.mjs';

const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const outDir = arg('--out', '/tmp');
const root = arg('--root', undefined); // a built site (default build/site)
const CATS = ['devtools.timeline', 'v8', 'v8.wasm', 'disabled-by-default-devtools.timeline', 'loading', 'blink.user_timing', 'toplevel', 'v8.execute', 'blink', 'navigation', 'ServiceWorker'];

// Each thread's busy time between t0us and t1us (the union of its task spans, clipped to the window:
// tasks nest, so their durations do not add up) and its events over 8 ms. Threads of the page's
// renderer process (pagePid) are marked: other renderers (Chromium's own WebUI) have threads of the
// same name.
function summarise(traceEvents, label, pagePid, t0us, t1us) {
  const names = {};
  for (const e of traceEvents) if (e.ph === 'M' && e.name === 'thread_name') names[`${e.pid}:${e.tid}`] = e.args.name;
  // One entry per thread (pool threads share a name); the page's process is marked.
  const thread = (e) => `${names[`${e.pid}:${e.tid}`] || 'thread'} ${e.tid}${e.pid === pagePid ? ' (page)' : ` [${e.pid}]`}`;
  const spans = {};
  const events = [];
  for (const e of traceEvents) {
    if (e.ph !== 'X' || !e.dur || e.ts + e.dur < t0us || e.ts > t1us) continue;
    const th = thread(e);
    if (/RunTask/.test(e.name)) (spans[th] = spans[th] || []).push([Math.max(e.ts, t0us), Math.min(e.ts + e.dur, t1us)]);
    if (e.ts < t0us) continue;
    if (e.dur > 8000 && !/RunTask|ThreadController/.test(e.name)) events.push({ th, name: e.name, at: (e.ts - t0us) / 1000, ms: e.dur / 1000, detail: e.args?.data?.url || e.args?.data?.functionName || '' });
  }
  const busy = {};
  for (const [th, list] of Object.entries(spans)) {
    list.sort((a, b) => a[0] - b[0]);
    let total = 0, end = -Infinity;
    for (const [a, b] of list) {
      if (b > end) total += b - Math.max(a, end);
      end = Math.max(end, b);
    }
    busy[th] = total;
  }
  console.log(`\n${label}: busy ms per thread up to the first garment`);
  for (const [th, us] of Object.entries(busy).sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${th.padEnd(40)} ${(us / 1000).toFixed(0)}`);
  console.log(`${label}: events > 8 ms (start ms after navigation, duration)`);
  events.sort((a, b) => a.at - b.at);
  for (const e of events.slice(0, 80)) console.log(`  ${e.at.toFixed(0).padStart(5)} ${e.ms.toFixed(1).padStart(6)}  ${e.th.slice(0, 30).padEnd(30)} ${e.name} ${String(e.detail).slice(-50)}`);
}

const server = await startSiteServer({ port: 0, ...(root ? { root } : {}) });
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
const page = await (await browser.newContext()).newPage();
// The page's own mark at the first garment, reported on the console by an init script: asking the
// page (page.waitForFunction) would run Playwright's script on its main thread during the load.
await page.addInitScript(() => {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.name === 'lw-first-garment') console.debug(`lw-first-garment ${e.startTime}`);
  }).observe({ type: 'mark' });
});
const firstGarment = () => new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('no first garment within 60 s')), 60000);
  const onConsole = (m) => {
    const match = /^lw-first-garment (\S+)$/.exec(m.text());
    if (!match) return;
    clearTimeout(timer);
    page.off('console', onConsole);
    resolve({ first: Number(match[1]) });
  };
  page.on('console', onConsole);
});
async function traced(label, go) {
  const file = `${outDir}/trace-${label}.json`;
  await browser.startTracing(page, { path: file, categories: CATS });
  const [p] = await Promise.all([firstGarment(), go()]);
  await page.waitForTimeout(200);
  await browser.stopTracing();
  // Trace timestamps are µs of a monotonic clock; the page's own mark at the first garment (the
  // latest one: a reload's trace may hold none other) anchors it to the page's clock.
  const { traceEvents } = JSON.parse(fs.readFileSync(file, 'utf8'));
  const mark = traceEvents.filter((e) => e.name === 'lw-first-garment').sort((a, b) => b.ts - a.ts)[0];
  console.log(`${label}: first garment ${p.first.toFixed(0)} ms (trace in ${file})`);
  summarise(traceEvents, label, mark.pid, mark.ts - p.first * 1000, mark.ts);
}
await page.waitForTimeout(2000); // the browser finishes starting first (as page-load.mjs --settle-ms)
await traced('cold', () => page.goto(server.url));
await page.waitForSelector('body[data-index="ready"]', { timeout: 60000 });
await page.evaluate(async () => { for (let i = 0; i < 200 && !navigator.serviceWorker.controller; i++) await new Promise((r) => setTimeout(r, 50)); });
await page.waitForTimeout(1500);
await traced('reload', () => page.reload());
await browser.close();
await server.close();
