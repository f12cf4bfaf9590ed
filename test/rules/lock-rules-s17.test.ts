// Session 17's held-out check (issue #15): a set-if-absent helper classified by what each caller does with it.
// - unchecked-lock-acquisition, lock-release-not-guaranteed: a `SET … EX … NX` taken through a project helper that
//   stores a constant (`claimOnce(scope, id, "sent", ttl)`), under a key not named as a lock, whose caller leaves when
//   it is taken and can return still holding it (kept on success, deleted only when the send did not happen), is a
//   throttle window, not a lock: no acquisition to check, nothing to release. The same helper used as a lock (released
//   after the work, not in a finally), or with its result discarded, stays reported.
// - unsafe-lock-release: a DEL in a helper keyed only by its own parameters (`forget(scope, id)`) deletes whatever key
//   its callers give; it releases a lock only where some caller calls it on one. Called only to re-open a window it is
//   silent; called after the same helper's lock, its DEL stays reported.
import { lockReleaseNotGuaranteed } from "../../rules/lock-release-not-guaranteed";
import { uncheckedLockAcquisition } from "../../rules/unchecked-lock-acquisition";
import { unsafeLockRelease } from "../../rules/unsafe-lock-release";
import { runRuleTests } from "../helpers/rule-tester";

/** A cache helper: a set-if-absent with an expiry, and a plain delete, both keyed by (scope, id). */
const store = `import Redis from "ioredis";

const client = new Redis();

export class KeyStore {
  /** SET … EX … NX: true for the one caller that created the key. */
  static async claimOnce(scope: string, id: string, value: string, ttlSeconds: number): Promise<boolean> {
    const reply = await client.set(\`\${scope}/\${id}\`, value, "EX", ttlSeconds, "NX");
    return reply === "OK";
  }

  static async forget(scope: string, id: string): Promise<void> {
    await client.del(\`\${scope}/\${id}\`);
  }
}
`;

/** Two throttle windows (an hourly mail, a daily badge), tested together; the badge window re-opened when the send failed. */
const digest = `import { KeyStore } from "./store";

declare function sendDigest(userId: string, withBadge: boolean): Promise<boolean>;

export class DigestNotifier {
  async notify(userId: string, badge: boolean): Promise<void> {
    await this.notifyAtMostHourly(userId, badge);
  }

  private async notifyAtMostHourly(userId: string, badge: boolean): Promise<void> {
    let mail = true;
    try {
      mail = await KeyStore.claimOnce("digest-mail", userId, "sent", 3600);
    } catch {
      mail = true;
    }
    let withBadge = false;
    if (badge) {
      withBadge = await KeyStore.claimOnce("digest-badge", userId, "sent", 86400);
    }
    if (!mail && !withBadge) return;
    const delivered = await sendDigest(userId, withBadge);
    if (!delivered && withBadge) {
      await KeyStore.forget("digest-badge", userId);
    }
  }
}
`;

/** The same helper as a lock: the rebuild runs only for the caller that took the key, which deletes it after the work. */
const rebuild = `import { KeyStore } from "./store";

declare function rebuildIndex(shopId: string): Promise<void>;

export async function rebuildShopIndex(shopId: string): Promise<void> {
  const mine = await KeyStore.claimOnce("index-rebuild", shopId, "busy", 120);
  if (!mine) return;
  await rebuildIndex(shopId);
  await KeyStore.forget("index-rebuild", shopId);
}
`;

/** The same helper with its result discarded: the rebuild runs whether or not the key was taken. */
const unchecked = `import { KeyStore } from "./store";

declare function rebuildIndex(shopId: string): Promise<void>;

export async function rebuildUnchecked(shopId: string): Promise<void> {
  await KeyStore.claimOnce("index-rebuild", shopId, "busy", 120);
  await rebuildIndex(shopId);
}
`;

runRuleTests(uncheckedLockAcquisition, {
  valid: [
    {
      name: "two throttle windows through a set-if-absent helper, their results tested together before the send",
      code: digest,
      filename: "src/digest.ts",
      files: { "src/store.ts": store },
    },
  ],
  invalid: [
    {
      name: "the same helper's result discarded before the work it should gate",
      code: unchecked,
      filename: "src/rebuild.ts",
      files: { "src/store.ts": store },
      errors: [{ line: 6, column: 9, messageId: "resultDiscarded" }],
    },
  ],
});

runRuleTests(lockReleaseNotGuaranteed, {
  valid: [
    {
      name: "a throttle window kept on success by design and deleted only when the send did not happen",
      code: digest,
      filename: "src/digest.ts",
      files: { "src/store.ts": store },
    },
  ],
  invalid: [
    {
      name: "the same helper as a lock deleted after the work, not in a finally",
      code: rebuild,
      filename: "src/rebuild.ts",
      files: { "src/store.ts": store },
      errors: [{ line: 6, column: 22, messageId: "releaseSkippable" }],
      output: `import { KeyStore } from "./store";

declare function rebuildIndex(shopId: string): Promise<void>;

export async function rebuildShopIndex(shopId: string): Promise<void> {
  const mine = await KeyStore.claimOnce("index-rebuild", shopId, "busy", 120);
  if (!mine) return;
  try {
    await rebuildIndex(shopId);
  } finally {
    await KeyStore.forget("index-rebuild", shopId);
  }
}
`,
    },
  ],
});

runRuleTests(unsafeLockRelease, {
  valid: [
    {
      name: "a helper's DEL keyed by its own parameters, called only to re-open a throttle window",
      code: store,
      filename: "src/store.ts",
      files: { "src/digest.ts": digest },
    },
  ],
  invalid: [
    {
      name: "the same DEL also called to release the helper's key taken as a lock",
      code: store,
      filename: "src/store.ts",
      files: { "src/digest.ts": digest, "src/rebuild.ts": rebuild },
      errors: [{ line: 13, column: 11, messageId: "unchecked" }],
    },
  ],
});
