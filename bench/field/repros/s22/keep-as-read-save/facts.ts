// A fact row refreshed from an event: each column takes the event's value, or keeps what it holds when the event
// has none. A TypeORM entity save writes only the columns whose value changed, so a column kept as read is not
// written at all, and nothing written comes from the row.
import { DataSource, Entity, PrimaryGeneratedColumn, Column, Repository } from "typeorm";

@Entity()
export class StepFact {
  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column() sourceId!: string;
  @Column({ nullable: true }) steps!: number | null;
  @Column({ nullable: true }) unit!: string | null;
}

declare const source: DataSource;

export async function upsertStepFact(event: { sourceId: string; steps?: number; unit?: string }) {
  const repo: Repository<StepFact> = source.getRepository(StepFact);
  const existing = await repo.findOne({ where: { sourceId: event.sourceId } });
  if (!existing) {
    await repo.save(repo.create({ sourceId: event.sourceId, steps: event.steps ?? null, unit: event.unit ?? null }));
    return;
  }
  existing.steps = event.steps ?? (await existing).steps;
  existing.unit = event.unit ?? existing.unit;
  await repo.save(existing);
}
