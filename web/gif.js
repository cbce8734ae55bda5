// Animated-GIF export through gifenc (npm `gifenc`, MIT; copied to vendor/ by build-web.sh): one
// global 256-colour palette (the page's colour map), frames as palette indices, looping forever.
// This file only adapts the timeline's frames to gifenc's API and checks them first.
import { GIFEncoder } from './vendor/gifenc.js';

/**
 * frames: array of Uint8Array(width * height) palette indices; palette: Uint8Array(256 * 3) RGB;
 * delayCs: frame delay in hundredths of a second. Returns the file as a Uint8Array.
 */
export function encodeGif({ width, height, frames, palette, delayCs = 8 }) {
  if (!(width > 0 && width < 65536 && height > 0 && height < 65536)) throw new Error('GIF size out of range');
  if (palette.length !== 768) throw new Error('GIF palette must hold 256 RGB colours');
  if (!frames.length) throw new Error('GIF needs at least one frame');
  for (const indices of frames) {
    if (indices.length !== width * height) throw new Error('GIF frame has the wrong number of pixels');
  }
  const colours = [];
  for (let i = 0; i < 256; i++) colours.push([palette[3 * i], palette[3 * i + 1], palette[3 * i + 2]]);
  // Browsers treat delays under 2 cs as 10 cs, so 2 cs (50 fps) is the fastest that plays as asked.
  const delayMs = 10 * Math.max(2, Math.min(65535, Math.round(delayCs)));
  const gif = GIFEncoder();
  frames.forEach((indices, i) => {
    // The first frame carries the global palette and the loop count (0 = forever).
    gif.writeFrame(indices, width, height, i === 0 ? { palette: colours, delay: delayMs, repeat: 0 } : { delay: delayMs });
  });
  gif.finish();
  return gif.bytes();
}
