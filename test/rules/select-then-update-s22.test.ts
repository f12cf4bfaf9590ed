// Session 22's held-out precision check (issue #15): FALSE shapes of `select-then-update` seen in the held-out set,
// each a valid case written freshly, next to an invalid twin that stays reported: a change-tracked save of
// `input ?? (await row).field`, and a project helper whose UPDATE pins and bumps the version of the row it is passed.
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

const LOCKERS = (bump: string) => `import { Prisma, PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
type Locker = { id: string; status: string; renter: string | null; version: number };
declare function advance(status: string, step: string): string;
export class Lockers {
  private async shift(tx: Prisma.TransactionClient, locker: Locker, status: string, renter: string): Promise<Locker> {
    const rows = await tx.$queryRaw<Locker[]>\`
      UPDATE "Locker" SET "status" = \${status}, "renter" = \${renter}, ${bump}
       WHERE "id" = \${locker.id} AND "version" = \${locker.version} RETURNING *\`;
    if (rows.length === 0) throw new Error("locker changed meanwhile");
    return rows[0]!;
  }
  async rent(id: string, renter: string) {
    return prisma.$transaction(async (tx) => {
      const locker = await tx.locker.findFirst({ where: { id } });
      if (!locker) throw new Error("no such locker");
      return this.shift(tx, locker, advance(locker.status, "RENT"), renter);
    });
  }
}
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
    {
      // avoqado's custody service: \`updateWithVersion(tx, item, patch)\` pins and bumps the row's version.
      name: "a helper passed the row pins its version in the WHERE and bumps it: a compare-and-set",
      code: LOCKERS('"version" = "version" + 1'),
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
    {
      name: "a helper passed the row pins its version but does not bump it: no version counter, still reported",
      code: LOCKERS('"rentedAt" = now()'),
      errors: [{ line: 17, column: 14, messageId: "lostUpdate" }],
    },
  ],
});
