// lock-across-await, session-17 work on the judged FALSE findings that still fired (issue #15): a lock released in the
// `finally` of a function invoked and awaited on the spot, next to the same function invoked without waiting for it.
import { lockAcrossAwait } from "../../rules/lock-across-await";
import { runRuleTests } from "../helpers/rule-tester";

/** A publish step under a per-site advisory lock; `invoke` is how the locked part is run (`await ` or `void `). */
const publishSite = (invoke: string) => `import { Client, Pool } from "pg";

async function pingSearchEngine(url: string) {
  await fetch("https://search.example.com/ping?url=" + encodeURIComponent(url));
}

async function lockSite(siteId: string) {
  const session = new Client();
  await session.connect();
  await session.query("SELECT pg_advisory_lock(hashtext($1))", [siteId]);
  return session;
}

async function unlockSite(session: Client, siteId: string) {
  try {
    await session.query("SELECT pg_advisory_unlock(hashtext($1))", [siteId]);
  } finally {
    await session.end();
  }
}

export async function publish(siteId: string, url: string, firstPublish: boolean, db: Pool) {
  const session = firstPublish ? await lockSite(siteId) : null;
  ${invoke}(async () => {
    try {
      await db.query("UPDATE sites SET published = true WHERE id = $1", [siteId]);
    } finally {
      if (session) await unlockSite(session, siteId);
    }
  })();
  await pingSearchEngine(url);
}
`;

runRuleTests(lockAcrossAwait, {
  valid: [
    {
      name: "a lock released in the finally of an async arrow invoked and awaited on the spot is free at the slow call after it",
      code: publishSite("await "),
    },
  ],
  invalid: [
    {
      name: "the same arrow invoked without waiting for it: its finally runs later, and the slow call after it runs with the lock held",
      code: publishSite("void "),
      errors: [
        {
          line: 31,
          column: 3,
          messageId: "onSomePaths",
          message:
            "`pingSearchEngine` calls `fetch`, which makes an HTTP request, as slow as the remote service, and it is awaited where PostgreSQL advisory lock (`pg_advisory_lock`) (taken by `lockSite`) is held on some paths but not on all (released or never taken on the others): on those paths, everything waiting for it waits for this call too.",
        },
      ],
    },
  ],
});
