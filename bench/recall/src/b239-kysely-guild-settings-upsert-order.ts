import { Kysely, MysqlDialect } from "kysely";
import { createPool } from "mysql2";
interface Tables {
  guild_settings: { guild_id: string; setting_name: string; setting_value: string };
}
const db = new Kysely<Tables>({ dialect: new MysqlDialect({ pool: createPool(process.env.DATABASE_URL!) }) });
// Saving a guild's settings upserts one row per setting inside one transaction, in the order the caller's object lists
// them. (guild_id, setting_name) is the unique key: two saves for the same guild that list the settings in different
// orders take the key's locks in opposite orders and deadlock.
export async function saveGuildSettings(guildId: string, settings: Record<string, string>) {
  await db.transaction().execute(async (trx) => {
    await Promise.all(
      Object.entries(settings).map(([name, value]) =>
        trx
          .insertInto("guild_settings")
          .values({ guild_id: guildId, setting_name: name, setting_value: value })
          .onDuplicateKeyUpdate({ setting_value: value })
          .execute(),
      ),
    );
  });
}
// Correct: the settings are written one after another, sorted by name, so every save locks the keys in one order.
export async function saveGuildSettingsOrdered(guildId: string, settings: Record<string, string>) {
  const entries = Object.entries(settings).sort(([a], [b]) => a.localeCompare(b));
  await db.transaction().execute(async (trx) => {
    for (const [name, value] of entries) {
      await trx
        .insertInto("guild_settings")
        .values({ guild_id: guildId, setting_name: name, setting_value: value })
        .onDuplicateKeyUpdate({ setting_value: value })
        .execute();
    }
  });
}
