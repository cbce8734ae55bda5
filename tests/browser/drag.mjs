// The slider drag shared by the drag benchmark (tests/bench/page-drag.mjs), the drag trace
// (tests/bench/trace-drag.mjs) and the browser tests (page.test.mjs): a triangle wave across a range input, from 10 % to 90 % of its track
// and back every 120 steps, one mouse move per step, the moves paced at 60 per second (a mouse
// reports at 60 Hz or faster). Playwright's mouse.move returns once the page has taken the event,
// which can take a frame or more; the pacing waits only for what is left of each 16.7 ms, so a
// slow page gets fewer moves per second (the return value says how many it got).

/**
 * Drags the first element matching `selector` (a range input) for `steps` (>= 1) mouse moves.
 * onStart (optional, awaited) runs once the button is down, before the first move.
 * Returns {moves, ms}: the moves made and the drag's duration (ms, from the first move's start to
 * the last move's return).
 */
export async function dragSlider(page, selector, steps, { onStart = null } = {}) {
  if (!(Number.isInteger(steps) && steps >= 1)) throw new Error(`dragSlider: steps must be a whole number >= 1, got ${steps}`);
  const box = await page.locator(selector).first().boundingBox();
  if (!box) throw new Error(`dragSlider: ${selector} is not on screen`);
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width / 2, y);
  await page.mouse.down();
  if (onStart) await onStart();
  const start = performance.now();
  for (let i = 0; i < steps; i++) {
    const t = (i % 120) / 120;
    const f = t < 0.5 ? 0.1 + 1.6 * t : 0.9 - 1.6 * (t - 0.5);
    await page.mouse.move(box.x + box.width * f, y);
    const left = start + ((i + 1) * 1000) / 60 - performance.now();
    if (left > 1 && i + 1 < steps) await page.waitForTimeout(left);
  }
  const ms = performance.now() - start;
  await page.mouse.up();
  return { moves: steps, ms };
}
