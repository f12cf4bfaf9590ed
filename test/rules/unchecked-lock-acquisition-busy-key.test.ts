// unchecked-lock-acquisition, session 17: an in-process busy key (a Set, or a Map of `true` flags) tested, then an
// await, then marked (bench/recall b98): while the first caller waits, a second finds the key free and both run the
// work. The test and the mark in one synchronous step is the correct look-alike; a key never unmarked in the function
// (a cache filled after a fetch, a record of work done) is no lock held over work.
import { uncheckedLockAcquisition } from "../../rules/unchecked-lock-acquisition";
import { runRuleTests } from "../helpers/rule-tester";

/** A printer queue's job ids in flight (a Set): the test, then `between`, then the mark, unmarked in a finally. */
const printJob = (between: string, after: string) => `declare function printerOnline(): Promise<boolean>;
declare function send(jobId: string): Promise<void>;
export class PrintQueue {
  private readonly printing = new Set<string>();
  async print(jobId: string) {
    if (this.printing.has(jobId)) return false;${between}
    this.printing.add(jobId);${after}
    try {
      await send(jobId);
    } finally {
      this.printing.delete(jobId);
    }
    return true;
  }
}
`;

/** A Map of flags (`set(key, true)`) tested with `get`, a probe awaited in a condition before the mark. */
const syncFolder = (probeFirst: boolean) => {
  const probe = "\n    if (!(await reachable(folder))) return;";
  return `declare function reachable(folder: string): Promise<boolean>;
declare function upload(folder: string): Promise<void>;
const syncing = new Map<string, boolean>();
export async function syncFolder(folder: string) {
  if (syncing.get(folder)) return;${probeFirst ? probe : ""}
  syncing.set(folder, true);
  try {${probeFirst ? "" : probe}
    await upload(folder);
  } finally {
    syncing.delete(folder);
  }
}
`;
};

/** A cache: the key stored after the fetch and never deleted here — a record of a result, not a lock. */
const avatarCache = `declare function fetchAvatar(userId: string): Promise<string>;
declare function log(line: string): Promise<void>;
const known = new Set<string>();
export async function warmAvatar(userId: string) {
  if (known.has(userId)) return;
  await fetchAvatar(userId);
  known.add(userId);
  await log(userId);
}
`;

/** A cache whose entries a timer expires: the delete a `setTimeout` schedules is no unmark after the work. */
const regionCache = `declare function lookupRegion(tenantId: string): Promise<string>;
export class RegionResolver {
  private readonly regions = new Map<string, string>();
  async regionOf(tenantId: string) {
    if (this.regions.has(tenantId)) {
      const region = this.regions.get(tenantId)!;
      return region;
    }
    const region = await lookupRegion(tenantId);
    this.regions.set(tenantId, region);
    setTimeout(() => this.regions.delete(tenantId), 60_000);
    return region;
  }
}
`;

runRuleTests(uncheckedLockAcquisition, {
  valid: [
    { name: "a cache entry stored after the lookup and expired by a timer", code: regionCache },
    {
      name: "a Set's key marked right after its test, before any await",
      code: printJob("", "\n    if (!(await printerOnline())) { this.printing.delete(jobId); return false; }"),
    },
    {
      name: "a Map of true flags: the probe awaited after the mark, inside the try",
      code: syncFolder(false),
    },
    {
      name: "a key added after a fetch and never deleted in the function: a cache, not a busy key",
      code: avatarCache,
    },
  ],
  invalid: [
    {
      name: "a Set's key tested, a printer probe awaited, then the key marked",
      code: printJob("\n    if (!(await printerOnline())) return false;", ""),
      errors: [
        {
          line: 6,
          column: 9,
          messageId: "markedAfterAwait",
          message:
            "The busy key `jobId` of `this.printing` is tested here but marked only after the await at line 7: a second caller finds the key free while the first waits, and both run the critical section.",
          related: [{ line: 7, message: "awaited between the test and the mark" }],
        },
      ],
    },
    {
      name: "a Map of true flags tested with get, a probe awaited in a condition, then the flag set",
      code: syncFolder(true),
      errors: [{ line: 5, column: 7, messageId: "markedAfterAwait" }],
    },
  ],
});
