// --pre-js for the ES-module build (Emscripten 3.1.6). Its Node code path was
// written for CommonJS and reads `__dirname` while the factory runs, which
// does not exist inside an ES module (ReferenceError). This local definition
// shadows it. Nothing else in that path runs when the caller passes
// `wasmBinary` (wardrobe.js always does in Node), so `require` is never used.
var __dirname = '.';
