import { MigrationInterface, QueryRunner } from "typeorm";

export class Viewers1600000000000 implements MigrationInterface {
  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "viewer" ("platformId" varchar PRIMARY KEY NOT NULL, "login" varchar NOT NULL)`);
    await queryRunner.query(`CREATE INDEX "IDX_viewer_login" ON "viewer" ("login")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "viewer"`);
  }
}
