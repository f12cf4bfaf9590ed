// The one TypeScript compiler instance used everywhere in Locksmith: the TypeScript 6 that ts-morph bundles.
// (npm's `typescript@latest` is the native TypeScript 7, which has no classic compiler API.)
// Importing `ts` from here, never from "typescript", guarantees that nodes made by one module are understood by another.
import * as tsMorph from "ts-morph";

// An import alias (value and namespace), emitted as a plain `exports.ts = ...`: a re-export would compile to a getter
// that runs on every `ts.` in the hot paths (3-4% of the language server's time in the profile).
export import ts = tsMorph.ts;
