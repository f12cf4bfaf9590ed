import { Entity, PrimaryGeneratedColumn, Column, getRepository } from "typeorm";
@Entity() export class Player { @PrimaryGeneratedColumn() id!: number; @Column() coins!: number; }
export async function grantBonus(playerId: number, bonus: number) {
  const player = await getRepository(Player)
    .createQueryBuilder()
    .useTransaction(true)
    .setLock("pessimistic_write")
    .where({ id: playerId })
    .getOne();
  if (!player) return;
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await getRepository(Player).createQueryBuilder().useTransaction(true).update().set({ coins: player.coins + bonus }).where({ id: playerId }).execute();
}
export async function grantBonusLater(playerId: number, bonus: number) {
  const player = await getRepository(Player).createQueryBuilder().useTransaction(true).setLock("pessimistic_write").where({ id: playerId }).getOne();
  setTimeout(async () => {
    if (player) await getRepository(Player).createQueryBuilder().useTransaction(true).update().set({ coins: player.coins + bonus }).where({ id: playerId }).execute();
  }, 4000);
}
