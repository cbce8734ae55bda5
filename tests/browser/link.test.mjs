// Issue 11, part 2: what the UI can reach, the link brings back. The instance (33 keyframes), p=own,
// and a property test: random states built through the page's own controls (clicks, keys, slider
// moves, keyframe operations; seeded) must come back exactly from their link in a new tab.
// Run: bash scripts/build-web.sh && node --test --test-concurrency=1 tests/browser/link.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './server.mjs';
import { launch, openPage, waitForIndex } from './browser.mjs';

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

async function fresh(url = server.url) {
  const { page, errors } = await openPage(browser.context, url);
  await waitForIndex(page);
  return { page, errors };
}

/** Waits until no worker request has been pending for a few checks in a row (answers drawn). */
async function settle(page) {
  await page.waitForFunction(() => {
    const w = (window.__settle = window.__settle || { quiet: 0 });
    const busy = window.__lw.client.pending.size > 0 || (window.__lwOwn && window.__lwOwn.busy > 0);
    w.quiet = busy ? 0 : w.quiet + 1;
    return w.quiet >= 4;
  }, null, { polling: 50, timeout: 30000 });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/** The link, as the person gets it: Copy link writes the state into the address. */
async function copyLink(page) {
  await settle(page);
  await page.click('#copy-link');
  return page.url();
}

/** Everything on screen the link is meant to carry, read from the page. */
function snapshot(page) {
  return page.evaluate(() => {
    const app = window.__lw;
    const norm = (v) => (v === 0 ? 0 : v); // -0 and 0 are one value (the link writes both as 0)
    const value = (id) => {
      const el = document.getElementById(id);
      return el.type === 'checkbox' ? el.checked : el.value;
    };
    const pixels = (sel) => {
      const c = document.querySelector(sel);
      return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data).join();
    };
    return {
      z: Array.from(app.z, norm),
      source: app.zSource ? app.zSource.id : null,
      keys: app.timelineKeys().map((k) => (k.type === 'z' ? { type: 'z', z: k.z.map(norm) } : k)),
      controls: Object.fromEntries(['metric', 'compare', 'split', 'class-filter', 'topk', 'interp', 'per-segment', 'nearest', 'range', 'colormap'].map((id) => [id, value(id)])),
      focused: [...document.querySelectorAll('.layout > .panel.focus')].map((p) => p.dataset.panel),
      sliders: [...document.querySelectorAll('input[data-dim]')].map((i) => `${i.min}..${i.max}:${i.value}`),
      caption: document.querySelector('#preview-caption').textContent,
      sourceShown: document.querySelector('#source').hidden ? null : document.querySelector('#source-label').textContent,
      preview: pixels('#preview'),
      rankings: [...document.querySelectorAll('#rankings .ranking:not([hidden])')].map((r) => [r.dataset.metric, [...r.querySelectorAll('.result:not([hidden])')].map((li) => li.dataset.id)]),
      frames: document.querySelectorAll('#filmstrip .frame').length,
      nearest: document.querySelectorAll('#filmstrip .frame .nn').length,
    };
  });
}

async function roundTrip(page, what) {
  const url = await copyLink(page);
  const want = await snapshot(page);
  const { page: p2, errors } = await fresh(url);
  await settle(p2);
  const got = await snapshot(p2);
  const notes = await p2.textContent('#notes');
  await p2.close();
  assert.equal(notes, '', `${what}: the link was fully understood`);
  assert.deepEqual(got, want, `${what}: ${url}`);
  assert.deepEqual(errors, []);
  return { url, state: want };
}

// ---------------------------------------------------------------- the instance

test('keyframes: the UI stops at the link\'s limit (32) and says so; that state round-trips', async () => {
  const { page, errors } = await fresh();
  await page.waitForFunction(() => window.__lw.timelineKeys().length === 2);
  await page.locator('#add-random').focus();
  for (let i = 0; i < 30; i++) await page.keyboard.press('Enter'); // the keyboard's click
  assert.equal((await page.evaluate(() => window.__lw.timelineKeys())).length, 32);
  assert.ok(await page.locator('#add-random').isDisabled(), 'the 33rd cannot be added');
  assert.ok(await page.locator('#add-current').isDisabled());
  assert.match(await page.textContent('#timeline-status'), /32 keyframes: the most a timeline \(and its link\) holds/);
  // The ranking's + is refused with a note, not silently.
  await page.locator('#rankings .result:not([hidden]) .add').first().click();
  assert.match(await page.textContent('#notes'), /at most 32 keyframes/);
  await page.evaluate(() => document.querySelector('#notes').replaceChildren());
  const { state } = await roundTrip(page, '32 keyframes');
  assert.equal(state.keys.length, 32);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the hash #k=0;1;...;32 (33 ids) brings back the first 32 and says why', async () => {
  const ids = Array.from({ length: 33 }, (_, i) => i);
  const { page, errors } = await fresh(`${server.url}#k=${ids.join(';')}`);
  await page.waitForFunction(() => document.querySelectorAll('#keyframes .keyframe').length === 32);
  const keys = await page.evaluate(() => window.__lw.timelineKeys().map((k) => k.id));
  assert.deepEqual(keys, ids.slice(0, 32));
  assert.match(await page.textContent('#notes'), /The link has 33 keyframes; the timeline holds at most 32, so the first 32 are shown/);
  assert.match(await page.textContent('#timeline-status'), /32 keyframes: the most/);
  await page.waitForFunction(() => document.querySelectorAll('#filmstrip .frame').length === 31 * 8 + 1);
  assert.deepEqual(errors, []);
  await page.close();
});

test('p=own opens the own-garment panel, and focusing it writes p=own', async () => {
  const { page, errors } = await fresh(`${server.url}#p=own`);
  assert.deepEqual(await page.evaluate(() => [...document.querySelectorAll('.layout > .panel.focus')].map((p) => p.id)), ['panel-own']);
  assert.equal(await page.textContent('#notes'), '');
  await page.click('.journey[data-panel="map"]');
  await page.locator('#own-brush').focus();
  await page.waitForFunction(() => location.hash.includes('p=own'));
  assert.deepEqual(errors, []);
  await page.close();
  // On a phone-sized screen only the focused panel shows: the link must show this one.
  const phone = await browser.context.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(`${server.url}#p=own`);
  await phone.waitForSelector('body[data-decoder="ready"]');
  assert.ok(await phone.locator('#panel-own').isVisible());
  assert.ok(!(await phone.locator('#panel-explore').isVisible()));
  await phone.close();
});

// ---------------------------------------------------------------- the property

/** A small seeded generator (LCG), so a failing case can be replayed from its seed. */
function rng(seed) {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  return { next, int: (n) => Math.floor(next() * n), pick: (a) => a[Math.floor(next() * a.length)] };
}

const visible = (page, sel) => page.locator(`${sel}:visible`);

async function clickRandom(page, r, sel) {
  const items = visible(page, sel);
  const n = await items.count();
  if (n) await items.nth(r.int(n)).click();
}

async function selectRandom(page, r, sel) {
  const values = await page.$$eval(`${sel} option`, (os) => os.map((o) => o.value).filter((v) => v !== ''));
  await page.selectOption(sel, r.pick(values));
}

// The page's own operations, each one step of a person's session.
const OPERATIONS = {
  async slider(page, r) {
    const sliders = page.locator('#sliders input[data-dim]');
    await sliders.nth(r.int(await sliders.count())).focus();
    await page.keyboard.press(r.pick(['PageUp', 'PageDown', 'ArrowRight', 'ArrowLeft', 'Shift+ArrowUp', 'Home', 'End', '0']));
  },
  async sliderDrag(page, r) {
    const box = await page.locator('#sliders input[data-dim]').nth(r.int(3)).boundingBox();
    await page.mouse.click(box.x + box.width * (0.05 + 0.9 * r.next()), box.y + box.height / 2);
  },
  randomise: (page) => page.click('#randomise'),
  reset: (page) => page.click('#reset'),
  async fromGarment(page, r) {
    await page.fill('#garment-id', String(r.int(70000)));
    await page.click('#set-from-garment');
  },
  resultCard: (page, r) => clickRandom(page, r, '#rankings .result .card'),
  resultAdd: (page, r) => clickRandom(page, r, '#rankings .result .add'),
  async addRandom(page) {
    if (await page.locator('#add-random').isEnabled()) await page.click('#add-random');
  },
  async addCurrent(page) {
    if (await page.locator('#add-current').isEnabled()) await page.click('#add-current');
  },
  async addClass(page, r) {
    if (await page.locator('#add-class').isEnabled()) await page.selectOption('#add-class', String(r.int(10)));
  },
  removeKey: (page, r) => clickRandom(page, r, '#keyframes .kbtns button[aria-label^="Remove"]'),
  async moveKey(page, r) {
    const buttons = page.locator('#keyframes .kbtns button:not([aria-label^="Remove"]):enabled');
    const n = await buttons.count();
    if (n) await buttons.nth(r.int(n)).click();
  },
  keyThumb: (page, r) => clickRandom(page, r, '#keyframes .thumb'),
  metric: (page, r) => selectRandom(page, r, '#metric'),
  compare: (page) => page.click('#compare'),
  split: (page, r) => selectRandom(page, r, '#split'),
  classFilter: (page, r) => selectRandom(page, r, '#class-filter'),
  results: (page, r) => selectRandom(page, r, '#topk'),
  interp: (page, r) => selectRandom(page, r, '#interp'),
  steps: (page, r) => selectRandom(page, r, '#per-segment'),
  nearest: (page) => page.click('#nearest'),
  range: (page, r) => selectRandom(page, r, '#range'),
  colormap: (page, r) => selectRandom(page, r, '#colormap'),
  panel: (page, r) => clickRandom(page, r, '.journey'),
  ownPanel: (page) => page.locator('#own-brush').focus(),
  async mapClick(page, r) {
    const box = await page.locator('#map').boundingBox();
    await page.mouse.click(box.x + box.width * (0.1 + 0.8 * r.next()), box.y + box.height * (0.1 + 0.8 * r.next()));
  },
  async mapKeys(page, r) {
    await page.locator('#map').focus();
    await page.keyboard.press(r.pick(['ArrowUp', 'ArrowDown', 'Shift+ArrowLeft', 'ArrowRight']));
  },
  async useFrame(page, r) {
    if (await page.locator('#use-frame').isDisabled()) return;
    const max = Number(await page.getAttribute('#scrubber', 'max'));
    await page.locator('#scrubber').fill(String(r.int(max + 1)));
    await page.click('#use-frame');
  },
  async direction(page, r) {
    const dirs = page.locator('#own-dirs input:enabled');
    await dirs.nth(r.int(await dirs.count())).fill(String(Math.round((-1 + 2.5 * r.next()) * 20) / 20));
  },
  async arithmetic(page, r) {
    await page.selectOption('#own-from', String(r.int(10)));
    await page.selectOption('#own-to', String(r.int(10)));
    await page.click('#own-arith button[type="submit"]');
  },
};

const CASES = 6;
const STEPS_PER_CASE = 6;

test(`property: ${CASES} random states built through the UI come back exactly from their links`, async () => {
  const { page, errors } = await fresh();
  // The operations are dealt from a seeded shuffle, so the cases use every one of them.
  const deck = Object.keys(OPERATIONS);
  const shuffle = rng(999);
  for (let i = deck.length - 1; i > 0; i--) {
    const j = shuffle.int(i + 1);
    [deck[i], deck[j]] = [deck[j], deck[i]];
  }
  assert.ok(CASES * STEPS_PER_CASE >= deck.length);
  const log = [];
  for (let c = 0; c < CASES; c++) {
    const seed = 1000 + c;
    const r = rng(seed);
    const steps = [];
    for (let s = 0; s < STEPS_PER_CASE; s++) {
      const name = deck[(c * STEPS_PER_CASE + s) % deck.length];
      steps.push(name);
      await OPERATIONS[name](page, r);
      if (r.next() < 0.5) await settle(page); // sometimes the next step comes before the answers
    }
    // Notes of the steps (e.g. a clamped z) are the session's, not the link's.
    await settle(page);
    await page.evaluate(() => document.querySelector('#notes').replaceChildren());
    const { url } = await roundTrip(page, `case ${c} (seed ${seed}: ${steps.join(', ')})`);
    log.push(`${seed}: ${steps.join(' ')} -> ${url.length - server.url.length} chars`);
  }
  console.log(log.join('\n'));
  assert.deepEqual(errors, []);
  await page.close();
});
