// What the production build knows about itself. scripts/build-web.mjs replaces this module with
// {siteRoot, manifest, dataDir, wasm, hashedUrls, version}: the data manifest with content-hashed
// file names and the .wasm files' sizes and SHA-256, so the worker starts its downloads without
// asking for a manifest first. In the unbundled development tree it is null, and the worker reads
// data/manifest.json and wasm/files.json instead.
export const BUILD = null;
