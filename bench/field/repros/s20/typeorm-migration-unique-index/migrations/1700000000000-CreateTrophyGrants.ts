import { MigrationInterface, QueryRunner, Table } from "typeorm";

export class CreateTrophyGrants1700000000000 implements MigrationInterface {
  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: "trophy_grants",
        columns: [
          { name: "id", type: "int", isPrimary: true, isGenerated: true, generationStrategy: "increment" },
          { name: "trophy_id", type: "int" },
          { name: "player_id", type: "bigint" },
        ],
        indices: [{ columnNames: ["trophy_id", "player_id"], isUnique: true }],
      }),
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable("trophy_grants");
  }
}
