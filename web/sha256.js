// SHA-256 of a byte array as lowercase hex. WebCrypto when the page is a secure context (https or
// localhost); plain http on a LAN address has no crypto.subtle, so there the integrity check uses
// @noble/hashes (npm, MIT, audited; copied to vendor/ by build-web.sh), loaded only when needed.

const toHex = (digest) => Array.from(digest, (x) => x.toString(16).padStart(2, '0')).join('');

/** SHA-256 with @noble/hashes (the fallback; exported so tests can compare it with WebCrypto). */
export async function sha256HexFallback(bytes) {
  const { sha256 } = await import('./vendor/noble-hashes/sha2.js');
  return toHex(sha256(bytes));
}

/** SHA-256 of bytes as lowercase hex (WebCrypto when available). */
export async function sha256Hex(bytes) {
  const subtle = globalThis.crypto && globalThis.crypto.subtle;
  if (subtle) return toHex(new Uint8Array(await subtle.digest('SHA-256', bytes)));
  return sha256HexFallback(bytes);
}
