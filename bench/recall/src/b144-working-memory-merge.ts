import type { MastraMemory } from "@mastra/core/memory";
type Profile = Record<string, unknown>;
// The resource's working memory is read, the caller's fields merged into it in memory, and the whole record saved
// back: two agents updating different fields of one user's profile both read the old record, and the later save
// drops the other's field.
export async function rememberFields(memory: MastraMemory, threadId: string, resourceId: string, patch: Profile) {
  const current = await memory.getWorkingMemory({ threadId, resourceId });
  const record: Profile = current ? (JSON.parse(current) as Profile) : {};
  const merged = { ...record, ...patch };
  await memory.updateWorkingMemory({ threadId, resourceId, workingMemory: JSON.stringify(merged) });
  return merged;
}
