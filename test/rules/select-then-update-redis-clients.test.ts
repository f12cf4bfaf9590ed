import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

// Redis clients are often imported under names that do not say "redis": Vercel KV's `kv`, a project's `lib/redis`.

runRuleTests(selectThenUpdate, {
  valid: [
    {
      // `store` comes from a module that is not a Redis client: its get/set are not Redis commands.
      name: "get then set on a store imported from a module that does not name Redis",
      code: `import { store } from "@/lib/session-store";
export async function addLike(docId: string) {
  const likes = Number(await store.get(\`likes:\${docId}\`)) || 0;
  await store.set(\`likes:\${docId}\`, likes + 1);
}`,
    },
  ],
  invalid: [
    {
      name: "Vercel KV and a project's Redis module: a counter read and written back",
      code: `import { kv } from "@vercel/kv";
import { store } from "@/lib/redis";
export async function addView(docId: string) {
  const views = (await kv.get<number>(\`views:\${docId}\`)) ?? 0;
  await kv.set(\`views:\${docId}\`, views + 1);
}
export async function addLike(docId: string) {
  const likes = Number(await store.get(\`likes:\${docId}\`)) || 0;
  await store.set(\`likes:\${docId}\`, likes + 1);
}`,
      errors: [
        {
          line: 5,
          column: 9,
          messageId: "redisLostUpdate",
          message:
            "`kv.set(…)` writes a value computed from `views:${docId}` read at line 4 without `WATCH`/`MULTI` or a Lua script: two concurrent calls both read the same value, both write their result, and one update is lost.",
        },
        { line: 9, column: 9, messageId: "redisLostUpdate" },
      ],
    },
  ],
});
