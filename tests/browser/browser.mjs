// Launches Debian's Chromium headless through playwright-core (never a downloaded browser), with a
// fresh profile directory each time, and helpers shared by the browser tests.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './server.mjs';

export const CHROMIUM = process.env.LW_CHROMIUM || '/usr/bin/chromium';
export const artifactsDir = path.join(repoRoot, 'test-artifacts');

/** Chromium's flags for every test and bench (headless, as root, no network chatter). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** A persistent context on a fresh --user-data-dir; close() also removes the directory. */
export async function launch({ viewport = { width: 1440, height: 1000 }, deviceScaleFactor = 1, ...rest } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    deviceScaleFactor,
    acceptDownloads: true,
    ...rest,
  });
  const close = async () => {
    await context.close().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return { context, close, dir };
}

/**
 * Waits until a visit has settled: the garment index loaded (or failed), a service worker controls
 * the page (when the build registers one and serviceWorkers is true; up to 20 s), and `requests` (a
 * list the server appends each request to) grew by nothing for 1 s. Used by the page benchmarks.
 * Returns whether a service worker controls the page.
 */
export async function settleVisit(page, requests, { serviceWorkers = true } = {}) {
  await page.waitForSelector('body[data-index="ready"], body[data-index="error"]', { timeout: 60000 });
  const controlled = await page.evaluate(async (wanted) => {
    if (!wanted || !document.documentElement.dataset.sw || !navigator.serviceWorker) return false;
    const deadline = performance.now() + 20000;
    while (!navigator.serviceWorker.controller && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return !!navigator.serviceWorker.controller;
  }, serviceWorkers);
  let last = -1;
  while (last !== requests.length) {
    last = requests.length;
    await page.waitForTimeout(1000);
  }
  return controlled;
}

/** Collects page errors and console errors, so a test can assert there were none. */
export function watchErrors(page) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}

/** The pixels of a canvas (RGBA, as an array) read in the page. */
export function canvasPixels(page, selector) {
  return page.evaluate((sel) => {
    const c = document.querySelector(sel);
    if (!c) throw new Error(`no canvas ${sel}`);
    return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
  }, selector);
}

/** Moves the first slider two pages (keyboard) and waits until the preview's pixels change. */
export async function sliderChangesPreview(page, key = 'PageUp') {
  const before = await canvasPixels(page, '#preview');
  await page.locator('#sliders input[data-dim]').first().focus();
  await page.keyboard.press(key);
  await page.keyboard.press(key);
  await page.waitForFunction((prev) => {
    const d = document.querySelector('#preview').getContext('2d').getImageData(0, 0, 28, 28).data;
    return d.some((v, i) => v !== prev[i]);
  }, before);
}

export async function screenshot(locator, name) {
  fs.mkdirSync(artifactsDir, { recursive: true });
  await locator.screenshot({ path: path.join(artifactsDir, name) });
}

/** Opens the page and waits until the first garment is drawn. */
export async function openPage(context, url) {
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(url);
  await page.waitForSelector('body[data-decoder="ready"]', { timeout: 20000 });
  return { page, errors };
}

export async function waitForIndex(page) {
  await page.waitForSelector('body[data-index="ready"]', { timeout: 30000 });
}
