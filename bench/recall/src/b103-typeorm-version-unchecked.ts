import { Column, DataSource, Entity, PrimaryGeneratedColumn } from "typeorm";
@Entity()
export class Dossier {
  @PrimaryGeneratedColumn() id!: number;
  @Column() stage!: string;
  @Column() owner!: string;
  @Column() revision!: number;
}
// The revision read is in the WHERE, but the number of rows updated is never read: a stale edit matches no row and the
// caller is told it was saved.
export async function saveDossier(dataSource: DataSource, edited: Dossier) {
  await dataSource
    .getRepository(Dossier)
    .createQueryBuilder()
    .update(Dossier)
    .set({ stage: edited.stage, owner: edited.owner, revision: edited.revision + 1 })
    .where("id = :id", { id: edited.id })
    .andWhere("revision = :revision", { revision: edited.revision })
    .execute();
  return { ...edited, revision: edited.revision + 1 };
}
// Correct: no row updated means someone else saved first.
export async function saveDossierChecked(dataSource: DataSource, edited: Dossier) {
  const result = await dataSource
    .getRepository(Dossier)
    .createQueryBuilder()
    .update(Dossier)
    .set({ stage: edited.stage, owner: edited.owner, revision: edited.revision + 1 })
    .where("id = :id", { id: edited.id })
    .andWhere("revision = :revision", { revision: edited.revision })
    .execute();
  if (result.affected !== 1) throw new Error("dossier was changed by someone else");
  return { ...edited, revision: edited.revision + 1 };
}
