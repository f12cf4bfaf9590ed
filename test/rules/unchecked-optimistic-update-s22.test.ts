// Session 22's held-out precision check (issue #15): a data migration is applied once, one migration at a time
// (analysis/migrations.ts), so an UPDATE filtered on a value it read has no concurrent writer to lose to (121-platform's
// payment-entity migration). The same code in a service's method stays reported.
import { uncheckedOptimisticUpdate } from "../../rules/unchecked-optimistic-update";
import { runRuleTests } from "../helpers/rule-tester";

const regroup = (heading: string) => `import { MigrationInterface, QueryRunner } from "typeorm";
${heading}
  public async up(queryRunner: QueryRunner): Promise<void> {
    const shelves = await queryRunner.query(\`SELECT DISTINCT "id" FROM "shelf"\`);
    for (const shelf of shelves) {
      const shelfId = shelf.id;
      const groups = await queryRunner.query(
        \`SELECT MIN(b."added") as "added", b."series" as "series" FROM "book" b
         WHERE b."shelfId" = $1 AND b."series" IS NOT NULL GROUP BY b."series"\`,
        [shelfId],
      );
      for (const group of groups) {
        await queryRunner.query(\`INSERT INTO "series" ("added", "shelfId") VALUES ($1, $2)\`, [group.added, shelfId]);
        const created = await queryRunner.query(\`SELECT LASTVAL()\`);
        await queryRunner.query(\`UPDATE "book" SET "seriesId" = $1 WHERE "shelfId" = $2 AND "series" = $3\`, [
          created[0].lastval,
          shelfId,
          group.series,
        ]);
      }
    }
  }
}
`;

runRuleTests(uncheckedOptimisticUpdate, {
  valid: [
    {
      name: "a TypeORM migration's UPDATE filtered on a value it read",
      code: regroup("export class SeriesTable1710000000000 implements MigrationInterface {"),
    },
  ],
  invalid: [
    {
      name: "the same UPDATE in a service method is reported",
      code: regroup("export class SeriesService {"),
      errors: [{ line: 15, column: 15, messageId: "uncheckedAfterReadUnnamedCount" }],
    },
  ],
});
