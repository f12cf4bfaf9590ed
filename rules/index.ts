// The registry: every rule Locksmith runs, in the order `locksmith rules` lists them.
// A rule is one file in this folder named by its id, with a doc page rules/docs/<id>.md.
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { Rule } from "../server/src/engine/types";
import { RULE_DOCS_DIR } from "../server/src/install-paths";
import { uncheckedLockAcquisition } from "./unchecked-lock-acquisition";
import { lockReleaseNotGuaranteed } from "./lock-release-not-guaranteed";
import { lockWithoutExpiry } from "./lock-without-expiry";
import { unsafeLockRelease } from "./unsafe-lock-release";
import { lockAcrossAwait } from "./lock-across-await";
import { selectThenUpdate } from "./select-then-update";
import { uncheckedOptimisticUpdate } from "./unchecked-optimistic-update";
import { retryWithoutBackoff } from "./retry-without-backoff";
import { inconsistentLockOrder } from "./inconsistent-lock-order";
import { reentrantLock } from "./reentrant-lock";

export const RULES: readonly Rule[] = [
  uncheckedLockAcquisition,
  lockReleaseNotGuaranteed,
  lockWithoutExpiry,
  unsafeLockRelease,
  lockAcrossAwait,
  selectThenUpdate,
  uncheckedOptimisticUpdate,
  retryWithoutBackoff,
  inconsistentLockOrder,
  reentrantLock,
];

/** The rule's doc page, shipped with Locksmith (a file: URL, so it works offline and in the editor). */
export function docsPath(ruleId: string): string {
  return path.join(RULE_DOCS_DIR, `${ruleId}.md`);
}

export function docsUrl(ruleId: string): string {
  return pathToFileURL(docsPath(ruleId)).href;
}

/** Where the rules' doc pages are published (the repository's rules/docs folder). */
export const PUBLISHED_DOCS_BASE = "https://github.com/locksmith/locksmith/blob/main/rules/docs/";

/** The rule's published doc page: for readers without Locksmith's files (ESLint's `meta.docs.url`). */
export function publishedDocsUrl(ruleId: string): string {
  return `${PUBLISHED_DOCS_BASE}${ruleId}.md`;
}
