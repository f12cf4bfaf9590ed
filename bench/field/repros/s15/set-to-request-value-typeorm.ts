// FALSE shape (select-then-update), session 15 held-out check, safe-client-gateway
// src/modules/spaces/domain/address-books/address-book-items.repository.ts:257.
// Rule that would make it silent: rows found by a key and rewritten with values taken from the request (matched to
// each row by that key) merge nothing read from the row, so concurrent updates end as the later one, as in serial order.
import { In, type Repository } from "typeorm";

interface Contact {
  id: number;
  listId: number;
  handle: string;
  label: string;
}

export async function relabelContacts(repository: Repository<Contact>, listId: number, patches: Array<{ handle: string; label: string }>) {
  const byHandle = new Map(patches.map((p) => [p.handle, p]));
  const rows = await repository.findBy({ listId, handle: In([...byHandle.keys()]) });
  for (const row of rows) {
    const patch = byHandle.get(row.handle);
    if (!patch) continue;
    await repository.update(row.id, { handle: patch.handle, label: patch.label });
  }
}
