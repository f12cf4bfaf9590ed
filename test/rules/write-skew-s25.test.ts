// Session 25 (held-out b247, mikro-orm#1885): a find-or-create that keeps one `let` for the row found and the row
// made (`let row = await find(…); if (!row) { row = create(…); await save(row); }`) inserts as much as one that names
// the created row with a `const`; and MikroORM's `em.create(Entity, { … })` names the entity first and the fields second,
// also inline in the save (`em.persistAndFlush(em.create(Entity, { … }))`).
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";

const TYPEORM = (unique: string) => `import { Column, DataSource, Entity, Index, PrimaryGeneratedColumn } from "typeorm";
@Entity("waitlist_entries")
${unique}class WaitlistEntry {
  @PrimaryGeneratedColumn() id!: number;
  @Column() email!: string;
  @Column() cohort!: string;
  @Column({ default: "waiting" }) state!: string;
}
const source = new DataSource({ type: "postgres", url: process.env.DATABASE_URL, entities: [WaitlistEntry] });
`;

/** The find-or-create: one `let` for the row found and the row created, saved where none was found. */
const JOIN_WAITLIST = `export async function joinWaitlist(email: string, cohort: string) {
  const entries = source.getRepository(WaitlistEntry);
  let entry = await entries.findOneBy({ email, cohort });
  if (!entry) {
    entry = entries.create({ email, cohort });
    await entries.save(entry);
  }
  return entry;
}
`;

const MIKRO = `import { Entity, PrimaryKey, Property } from "@mikro-orm/core";
import { EntityManager } from "@mikro-orm/postgresql";
@Entity()
export class PickupWindow {
  @PrimaryKey() id!: number;
  @Property() depotId!: string;
  @Property() opensAt!: Date;
  @Property() capacity!: number;
}
declare const em: EntityManager;
`;

runRuleTests(writeSkew, {
  valid: [
    {
      name: "TypeORM: the same find-or-create on a table whose unique index covers the fields looked up",
      code: TYPEORM('@Index(["email", "cohort"], { unique: true })\n') + JOIN_WAITLIST,
    },
    {
      name: "TypeORM: the `let` holds only the row found (no create reaches the save): an update of that row",
      code: `${TYPEORM("")}
export async function promoteEntry(email: string, cohort: string) {
  const entries = source.getRepository(WaitlistEntry);
  let entry = await entries.findOneBy({ email, cohort });
  if (!entry) entry = await entries.findOneByOrFail({ email, cohort: "default" });
  entry.state = "invited";
  await entries.save(entry);
}
`,
    },
    {
      name: "TypeORM: a created row replaced by a row read before every save: no insert",
      code: `${TYPEORM("")}
export async function refreshEntry(email: string, cohort: string) {
  const entries = source.getRepository(WaitlistEntry);
  const existing = await entries.findOneBy({ email, cohort });
  if (!existing) return undefined;
  let entry = entries.create({ email, cohort });
  entry = await entries.findOneByOrFail({ id: existing.id });
  entry.state = "refreshed";
  await entries.save(entry);
  return entry;
}
`,
    },
  ],
  invalid: [
    {
      name: "TypeORM: one `let` for the row found and the row created, saved in the branch where none was found",
      code: TYPEORM("") + JOIN_WAITLIST,
      errors: [{ line: 15, column: 11, messageId: "duplicate" }],
    },
    {
      name: "MikroORM: the same with em.create(Entity, { … }) and persistAndFlush",
      code: `${MIKRO}
export async function windowFor(depotId: string, opensAt: Date) {
  let window = await em.findOne(PickupWindow, { depotId, opensAt });
  if (!window) {
    window = em.create(PickupWindow, { depotId, opensAt, capacity: 20 });
    await em.persistAndFlush(window);
  }
  return window;
}
`,
      errors: [{ line: 16, column: 11, messageId: "duplicate" }],
    },
    {
      name: "MikroORM: em.create(Entity, { … }) inline in persistAndFlush, in the branch where none was found",
      code: `${MIKRO}
export async function openWindow(depotId: string, opensAt: Date) {
  const window = await em.findOne(PickupWindow, { depotId, opensAt });
  if (!window) await em.persistAndFlush(em.create(PickupWindow, { depotId, opensAt, capacity: 20 }));
}
`,
      errors: [{ line: 14, column: 22, messageId: "duplicate" }],
    },
  ],
});
