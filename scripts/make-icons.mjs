// Renders the app icons (web/icons/*.svg, drawn by hand for this project) to the PNG sizes the web
// app manifest lists, with Debian's Chromium. Run once after editing an SVG; the PNGs are committed
// (the build only copies them, so it needs no browser).
//   node scripts/make-icons.mjs
import fs from 'node:fs';
import path from 'node:path';
import { launch } from '../tests/browser/browser.mjs';
import { repoRoot } from './serve.mjs';

const dir = path.join(repoRoot, 'web', 'icons');
const renders = [
  ['icon.svg', 'icon-192.png', 192],
  ['icon.svg', 'icon-512.png', 512],
  ['icon-maskable.svg', 'icon-maskable-512.png', 512],
  ['favicon.svg', 'favicon-32.png', 32], // inlined into index.html by the build
];
const b = await launch({ viewport: { width: 512, height: 512 } });
try {
  const page = await b.context.newPage();
  for (const [svg, png, size] of renders) {
    const data = fs.readFileSync(path.join(dir, svg), 'utf8');
    await page.setViewportSize({ width: size, height: size });
    await page.setContent(`<style>html,body{margin:0;background:transparent}</style><img width="${size}" height="${size}" src="data:image/svg+xml;base64,${Buffer.from(data).toString('base64')}">`);
    await page.waitForFunction(() => document.querySelector('img').complete);
    await page.screenshot({ path: path.join(dir, png), omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
    console.log(`${png}: ${fs.statSync(path.join(dir, png)).size} bytes`);
  }
} finally {
  await b.close();
}
