// Session 20's held-out precision check (issue #15): the FALSE shapes fixed, each a valid case written freshly in the judged
// shape, beside the real bug it resembles, which stays reported.
import { lockReleaseNotGuaranteed } from "../../rules/lock-release-not-guaranteed";
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";

/** An entity with no unique index of its own, and a service that awards a badge once in a transaction. */
const BADGES = `import { Column, DataSource, Entity, PrimaryGeneratedColumn } from "typeorm";
@Entity("badge_awards")
export class BadgeAward {
  @PrimaryGeneratedColumn() id!: number;
  @Column() badge_id!: number;
  @Column() member_id!: string;
}
declare const dataSource: DataSource;
export async function awardOnce(badgeId: number, memberId: string): Promise<boolean> {
  return dataSource.transaction(async (manager) => {
    const existing = await manager.findOne(BadgeAward, { where: { badge_id: badgeId, member_id: memberId } });
    if (existing) return false;
    await manager.insert(BadgeAward, { badge_id: badgeId, member_id: memberId });
    return true;
  });
}
`;

/** A TypeORM migration creating the table; `extra` goes into the `Table` options, `after` after `createTable`. */
const badgeMigration = (extra: string, after = "") => ({
  "src/migrations/1700000000000-CreateBadgeAwards.ts": `import { MigrationInterface, QueryRunner, Table, TableIndex, TableUnique } from "typeorm";
export class CreateBadgeAwards1700000000000 implements MigrationInterface {
  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: "badge_awards",
        columns: [
          { name: "id", type: "int", isPrimary: true, isGenerated: true, generationStrategy: "increment" },
          { name: "badge_id", type: "int" },
          { name: "member_id", type: "bigint" },
        ],${extra}
      }),
    );${after}
  }
  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable("badge_awards");
  }
}
`,
});

runRuleTests(writeSkew, {
  valid: [
    {
      name: "a TypeORM migration's Table declares the unique index the entity lacks",
      code: BADGES,
      files: badgeMigration(`\n        indices: [{ columnNames: ["badge_id", "member_id"], isUnique: true }],`),
    },
    {
      name: "the Table's uniques",
      code: BADGES,
      files: badgeMigration(`\n        uniques: [{ columnNames: ["badge_id", "member_id"] }],`),
    },
    {
      name: "a later createIndex with a unique TableIndex",
      code: BADGES,
      files: badgeMigration(
        "",
        `\n    await queryRunner.createIndex("badge_awards", new TableIndex({ columnNames: ["badge_id", "member_id"], isUnique: true }));`,
      ),
    },
    {
      name: "a later createUniqueConstraint",
      code: BADGES,
      files: badgeMigration(
        "",
        `\n    await queryRunner.createUniqueConstraint("badge_awards", new TableUnique({ columnNames: ["badge_id", "member_id"] }));`,
      ),
    },
  ],
  invalid: [
    {
      name: "the migration's index over the pair is not unique",
      code: BADGES,
      files: badgeMigration(`\n        indices: [{ columnNames: ["badge_id", "member_id"] }],`),
      errors: [{ line: 13, column: 11, messageId: "duplicate" }],
    },
    {
      name: "the unique index is another table's",
      code: BADGES,
      files: badgeMigration(
        "",
        `\n    await queryRunner.createIndex("badge_award_log", new TableIndex({ columnNames: ["badge_id", "member_id"], isUnique: true }));`,
      ),
      errors: [{ line: 13, column: 11, messageId: "duplicate" }],
    },
  ],
});

/** A signer pool behind a counting semaphore; `giveBack` is the body of the method that returns a signer. */
const signerPool = (giveBack: string) => `import { Semaphore } from "async-mutex";
interface Signer { address: string }
export function createSignerPool(signers: Signer[]) {
  const free = [...signers];
  const permits = new Semaphore(free.length);
  return {
    async take(): Promise<Signer> {
      await permits.acquire();
      const signer = free.shift();
      if (!signer) {
        permits.release();
        throw new Error("pool empty");
      }
      return signer;
    },
    async reserve(wanted: Signer): Promise<void> {
      await permits.acquire();
      const at = free.findIndex((s) => s.address === wanted.address);
      if (at === -1) {
        permits.release();
        return;
      }
      free.splice(at, 1);
    },
    giveBack(signer: Signer): void {
${giveBack}
    },
  };
}
`;

runRuleTests(lockReleaseNotGuaranteed, {
  valid: [
    {
      name: "a pool's permit leaves with the signer taken and giveBack() releases it; take() releases only where it gives up",
      code: signerPool(`      if (!free.some((s) => s.address === signer.address)) {
        free.push(signer);
        permits.release();
      }`),
    },
  ],
  invalid: [
    {
      name: "no other function releases the permits: the give-up releases are all there is, and a success keeps them for good",
      code: signerPool(`      free.push(signer);`),
      errors: [
        { line: 8, column: 13, messageId: "releaseSkippable" },
        { line: 17, column: 13, messageId: "releaseSkippable" },
      ],
    },
  ],
});
