// The one TypeScript compiler instance used everywhere in Locksmith: the TypeScript 6 that ts-morph bundles.
// (npm's `typescript@latest` is the native TypeScript 7, which has no classic compiler API.)
// Importing `ts` from here, never from "typescript", guarantees that nodes made by one module are understood by another.
import { ts } from "ts-morph";

export { ts };
