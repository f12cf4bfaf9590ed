// A TypeORM data migration that turns the invoices' free batch number into a batch table: for each customer, one
// batch row per number, then the invoices of that number point at it. Migrations run once, one at a time, so the
// UPDATE filtered on the number read has no concurrent writer whose change it could silently miss.
import { MigrationInterface, QueryRunner } from "typeorm";

export class InvoiceBatches1700000000000 implements MigrationInterface {
  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "batch" ("id" SERIAL NOT NULL, "opened" TIMESTAMP NOT NULL, "customerId" integer NOT NULL)`);
    await queryRunner.query(`ALTER TABLE "invoice" ADD "batchId" integer`);
    const customers = await queryRunner.query(`SELECT DISTINCT "id" FROM "customer"`);
    for (const customer of customers) {
      const customerId = customer.id;
      const numbers = await queryRunner.query(
        `SELECT MIN(i."issued") as "opened", i."batch" as "batch", MAX(i."updated") as "updated" FROM "invoice" i
         WHERE i."customerId" = $1 AND i."batch" IS NOT NULL GROUP BY i."batch" ORDER BY i.batch`,
        [customerId],
      );
      for (const number of numbers) {
        await queryRunner.query(`INSERT INTO "batch" ("opened", "customerId") VALUES ($1, $2)`, [number.opened, customerId]);
        const inserted = await queryRunner.query(`SELECT LASTVAL()`);
        await queryRunner.query(`UPDATE "invoice" SET "batchId" = $1 WHERE "customerId" = $2 AND "batch" = $3`, [
          inserted[0].lastval,
          customerId,
          number.batch,
        ]);
      }
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "invoice" DROP COLUMN "batchId"`);
    await queryRunner.query(`DROP TABLE "batch"`);
  }
}
