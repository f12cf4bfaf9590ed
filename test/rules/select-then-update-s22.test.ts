// Session 22's held-out precision check (issue #15): FALSE shapes of `select-then-update` seen in the held-out set,
// each a valid case written freshly, next to an invalid twin that stays reported.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const ENTITY = `import { DataSource, Entity, PrimaryGeneratedColumn, Column, Repository } from "typeorm";
@Entity()
export class SleepLog {
  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column() entryId!: string;
  @Column({ nullable: true }) minutes!: number | null;
}
declare const source: DataSource;
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      // reancare's awards facts: `row.x = event.x ?? (await row).x` saved through TypeORM, which writes only changed
      // columns. Awaiting the entity already loaded gives the entity, so the fallback is the field as read: no change.
      name: "TypeORM save: a field set to the event's value or to `(await row).field` writes nothing read",
      code: `${ENTITY}
export async function refreshSleep(event: { entryId: string; minutes?: number }) {
  const repo: Repository<SleepLog> = source.getRepository(SleepLog);
  const log = await repo.findOne({ where: { entryId: event.entryId } });
  if (!log) return;
  log.minutes = event.minutes ?? (await log).minutes;
  await repo.save(log);
}
`,
    },
  ],
  invalid: [
    {
      name: "TypeORM save: a field set to `(await row).field` plus the event's value is computed from the read",
      code: `${ENTITY}
export async function addSleep(event: { entryId: string; minutes: number }) {
  const repo: Repository<SleepLog> = source.getRepository(SleepLog);
  const log = await repo.findOne({ where: { entryId: event.entryId } });
  if (!log) return;
  log.minutes = ((await log).minutes ?? 0) + event.minutes;
  await repo.save(log);
}
`,
      errors: [{ line: 15, column: 9, messageId: "lostUpdate" }],
    },
  ],
});
