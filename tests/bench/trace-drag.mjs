// Chromium trace of a slider drag on the page (the production build, build/site/, on npm start's
// server), for finding where a frame's time goes when dragging misses 60 fps. Not a test or a bench
// figure (tests/bench/page-drag.mjs gives those, with the same drag): prints each thread's busy time
// during the drag, the main thread's costliest rendering steps, and Blink's layouts (how many, how
// many started below the root).
//   bash scripts/build-web.sh && node tests/bench/trace-drag.mjs [--compare] [--root DIR] [--steps 240]
// --compare: with the Euclidean ranking beside the likelihood one (the page's "Compare side by side").
// The trace is written to /tmp/trace-drag.json (chrome://tracing, ui.perfetto.dev).
import fs from 'node:fs';

import { launch } from '../browser/browser.mjs';
import { dragSlider } from '../browser/drag.mjs';
import { startSiteServer } from '../../scripts/serve.mjs';

const args = process.argv.slice(2);
const arg = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const compare = args.includes('--compare');
const root = arg('--root', undefined);
const STEPS = Number(arg('--steps', 240));
if (!(Number.isInteger(STEPS) && STEPS >= 1)) {
  console.error(`trace-drag: --steps must be a whole number >= 1, got '${arg('--steps')}'`);
  process.exit(2);
}
const OUT = '/tmp/trace-drag.json';
const CATEGORIES = 'devtools.timeline,disabled-by-default-devtools.timeline,v8.execute,blink,toplevel,cc,viz';
// Rendering steps of the main thread worth a line each (Chromium's trace event names).
const STEPS_SHOWN = ['ProxyMain::BeginMainFrame', 'EventHandler::handleMouseMoveEvent', 'UpdateLayoutTree', 'Layout',
  'PrePaint', 'Paint', 'Layerize', 'PaintArtifactCompositor::Update', 'Commit', 'HandlePostMessage', 'FunctionCall'];

function summarise(events, frames) {
  const names = {};
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') names[`${e.pid}:${e.tid}`] = e.args.name;
  const thread = (e) => names[`${e.pid}:${e.tid}`] || 'thread';
  const complete = events.filter((e) => e.ph === 'X' && e.dur);
  const busy = {};
  for (const e of complete) if (e.name === 'ThreadControllerImpl::RunTask') busy[thread(e)] = (busy[thread(e)] || 0) + e.dur / 1000;
  console.log(`busy ms per thread during the drag (${frames} frames drawn):`);
  for (const [th, ms] of Object.entries(busy).sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`  ${th.padEnd(28)} ${ms.toFixed(0).padStart(6)}`);
  const main = complete.filter((e) => thread(e) === 'CrRendererMain');
  console.log('main thread, by step: total ms, count, ms each');
  for (const step of STEPS_SHOWN) {
    const list = main.filter((e) => e.name === step);
    const ms = list.reduce((s, e) => s + e.dur / 1000, 0);
    if (list.length) console.log(`  ${step.padEnd(38)} ${ms.toFixed(0).padStart(6)} ${String(list.length).padStart(6)} ${(ms / list.length).toFixed(2).padStart(7)}`);
  }
  // A layout that starts below the root (a relayout boundary) is "partial" in Blink's trace.
  const layouts = main.filter((e) => e.name === 'Layout');
  const partial = layouts.filter((e) => e.args?.beginData?.partialLayout).length;
  const dirty = layouts.map((e) => e.args?.beginData?.dirtyObjects || 0).sort((a, b) => a - b);
  console.log(`layouts: ${layouts.length}, ${partial} partial; dirty layout objects per layout p50 ${dirty[dirty.length >> 1] ?? '-'}, ` +
    `of ${Math.max(0, ...layouts.map((e) => e.args?.beginData?.totalObjects || 0))} in the page`);
}

const server = await startSiteServer(root ? { root } : {});
const browser = await launch();
try {
  const page = await browser.context.newPage();
  await page.goto(server.url);
  await page.waitForSelector('body[data-index="ready"]', { timeout: 60000 });
  await page.waitForTimeout(1500); // result images and the timeline's garments
  if (compare) {
    await page.check('#compare');
    await page.waitForTimeout(300);
  }
  const cdp = await browser.context.newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
  const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
  await cdp.send('Tracing.start', { categories: CATEGORIES, transferMode: 'ReportEvents' });
  await page.evaluate(() => { window.__lwPerf.frames.length = 0; });
  const input = await dragSlider(page, '#sliders input[data-dim]', STEPS);
  await page.waitForTimeout(200);
  await cdp.send('Tracing.end');
  await complete;
  const frames = await page.evaluate(() => [...window.__lwPerf.frames].sort((a, b) => a - b));
  fs.writeFileSync(OUT, JSON.stringify({ traceEvents: events }));
  console.log(`drag${compare ? ' (likelihood + Euclidean side by side)' : ''}: ${frames.length} frames, ` +
    `decode+search+draw p50 ${frames[frames.length >> 1]?.toFixed(1)} ms, p95 ${frames[Math.floor(frames.length * 0.95)]?.toFixed(1)} ms, ` +
    `over 16.7 ms: ${frames.filter((t) => t > 1000 / 60).length}; mouse moves ${((1000 * input.moves) / input.ms).toFixed(1)} per s; trace in ${OUT}`);
  summarise(events, frames.length);
} finally {
  await browser.close();
  await server.close();
}
