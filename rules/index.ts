// The registry: every rule Locksmith runs, in the order `locksmith rules` lists them.
// A rule is one file in this folder named by its id, with a doc page rules/docs/<id>.md.
import * as path from "node:path";
import type { Rule } from "../server/src/engine/types";
import { RULE_DOCS_DIR } from "../server/src/install-paths";
import { uncheckedLockAcquisition } from "./unchecked-lock-acquisition";
import { lockReleaseNotGuaranteed } from "./lock-release-not-guaranteed";
import { lockWithoutExpiry } from "./lock-without-expiry";
import { unsafeLockRelease } from "./unsafe-lock-release";
import { lockAcrossAwait } from "./lock-across-await";
import { selectThenUpdate } from "./select-then-update";
import { uncheckedOptimisticUpdate } from "./unchecked-optimistic-update";
import { writeSkew } from "./write-skew";
import { retryWithoutBackoff } from "./retry-without-backoff";
import { inconsistentLockOrder } from "./inconsistent-lock-order";
import { reentrantLock } from "./reentrant-lock";
import { transactionThroughPool } from "./transaction-through-pool";

export const RULES: readonly Rule[] = [
  uncheckedLockAcquisition,
  lockReleaseNotGuaranteed,
  lockWithoutExpiry,
  unsafeLockRelease,
  lockAcrossAwait,
  selectThenUpdate,
  uncheckedOptimisticUpdate,
  writeSkew,
  retryWithoutBackoff,
  inconsistentLockOrder,
  reentrantLock,
  transactionThroughPool,
];

/** Locksmith's home page: its repository, whose README is the user documentation. */
export const HOMEPAGE_URL = "https://github.com/locksmith-lint/locksmith";

/** The rule's doc page as shipped with Locksmith (read by `locksmith rules`, SARIF's help text, the docs tests). */
export function docsPath(ruleId: string): string {
  return path.join(RULE_DOCS_DIR, `${ruleId}.md`);
}

/**
 * The rule's published doc page, derived from its id: the one link the CLI, the editor (codeDescription, "show
 * documentation") and SARIF (helpUri) give, the same on every machine (a file: URL would name the machine that ran).
 */
export function docsUrl(ruleId: string): string {
  return `${HOMEPAGE_URL}/blob/main/rules/docs/${ruleId}.md`;
}
