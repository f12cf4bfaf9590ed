import { Column, DataSource, Entity, PrimaryGeneratedColumn, VersionColumn } from "typeorm";
@Entity()
export class ClaimCase {
  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column("simple-json") notes!: string[];
  @Column() assignee!: string;
  @VersionColumn() version!: number;
}
declare const dataSource: DataSource;
// A case note is appended to the notes read with the case and written back by an update query given
// setLock("optimistic", version). TypeORM checks an optimistic lock only when it loads an entity; on an update query
// the version is ignored, so two notes added at once both write the list they read and one note is lost.
export async function addCaseNote(caseId: string, note: string) {
  const found = await dataSource.getRepository(ClaimCase).findOneByOrFail({ id: caseId });
  await dataSource
    .createQueryBuilder()
    .setLock("optimistic", found.version)
    .update(ClaimCase)
    .set({ notes: [...found.notes, note] })
    .where("id = :id", { id: caseId })
    .execute();
}
// Correct: the version is part of the WHERE clause and a zero affected count is reported as a conflict.
export async function addCaseNoteChecked(caseId: string, note: string) {
  const found = await dataSource.getRepository(ClaimCase).findOneByOrFail({ id: caseId });
  const result = await dataSource
    .createQueryBuilder()
    .update(ClaimCase)
    .set({ notes: [...found.notes, note], version: found.version + 1 })
    .where("id = :id", { id: caseId })
    .andWhere("version = :version", { version: found.version })
    .execute();
  if (result.affected === 0) throw new Error("case changed meanwhile, reload and retry");
}
