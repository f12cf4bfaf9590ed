import { MigrationBuilder } from "node-pg-migrate";

export function up(pgm: MigrationBuilder): void {
  pgm.createTable("stake_positions", {
    id: "id",
    holder: { type: "text", notNull: true },
    pool_index: { type: "integer", notNull: true },
    staked: { type: "numeric", notNull: true },
    earned: { type: "numeric", notNull: true, default: 0 },
  });
  pgm.createIndex("stake_positions", ["holder", "pool_index"], { unique: true });
}
