import { Column, DataSource, Entity, PrimaryGeneratedColumn } from "typeorm";
// No unique index over (userId, sourceId, targetId).
@Entity("concept_edges")
export class ConceptEdge {
  @PrimaryGeneratedColumn()
  id!: number;
  @Column()
  userId!: number;
  @Column()
  sourceId!: number;
  @Column()
  targetId!: number;
}
// Saving a solved problem links its keywords: for each pair, the edge is looked up inside the transaction and created
// when missing. Two submissions sharing keywords run the lookups concurrently; a plain SELECT locks no gap, so both
// find no edge and both create it.
export async function linkKeywords(dataSource: DataSource, userId: number, keywordIds: number[]) {
  await dataSource.transaction(async (manager) => {
    for (const sourceId of keywordIds) {
      for (const targetId of keywordIds) {
        if (sourceId === targetId) continue;
        const existingEdge = await manager.findOne(ConceptEdge, { where: { userId, sourceId, targetId } });
        if (!existingEdge) {
          const edge = manager.create(ConceptEdge, { userId, sourceId, targetId });
          await manager.save(ConceptEdge, edge);
        }
      }
    }
  });
}
