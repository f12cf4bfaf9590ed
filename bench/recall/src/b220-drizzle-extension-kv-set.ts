import { and, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
const db = drizzle(process.env.DATABASE_URL!);
const extensionValues = pgTable(
  "extension_values",
  {
    extensionId: text("extension_id").notNull(),
    ownerId: text("owner_id").notNull(),
    key: text("key").notNull(),
    value: text("value").notNull(),
    updatedAt: timestamp("updated_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.extensionId, t.ownerId, t.key] })],
);
// An extension's key-value store reads the entry and then updates or inserts it. Two parallel writes of a new key (a
// token refresh running twice) both see no row and both insert: the primary key rejects the second insert, and the
// error escapes from `set` as an unhandled failure of the extension call.
export function extensionStore(extensionId: string, ownerId: string) {
  return {
    async set(key: string, value: string) {
      const scope = and(eq(extensionValues.extensionId, extensionId), eq(extensionValues.ownerId, ownerId), eq(extensionValues.key, key));
      const [row] = await db.select().from(extensionValues).where(scope).limit(1);
      if (row) {
        await db.update(extensionValues).set({ value, updatedAt: new Date() }).where(scope);
      } else {
        await db.insert(extensionValues).values({ extensionId, ownerId, key, value });
      }
    },
  };
}
