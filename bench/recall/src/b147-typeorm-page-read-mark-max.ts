import { Column, Entity, PrimaryGeneratedColumn, Repository, Unique } from "typeorm";
@Entity()
@Unique(["readerId", "pageId"])
export class PageReadMark {
  @PrimaryGeneratedColumn() id!: number;
  @Column() readerId!: string;
  @Column() pageId!: string;
  @Column() seenRevision!: number;
}
// The revision a reader has seen is raised by loading the row, keeping the larger value in memory and saving it: two
// tabs reporting revisions 5 and 4 both load 0, and whichever saves last wins, so the mark can go back to 4.
export class PageReadMarkStore {
  constructor(private readonly marks: Repository<PageReadMark>) {}
  private async change(readerId: string, pageId: string, apply: (mark: PageReadMark) => void) {
    for (let round = 0; round < 2; round++) {
      const found = await this.marks.findOne({ where: { readerId, pageId } });
      const mark = found ?? this.marks.create({ readerId, pageId, seenRevision: 0 });
      apply(mark);
      try {
        return await this.marks.save(mark);
      } catch (err) {
        if (round === 1 || (err as { code?: string }).code !== "23505") throw err;
      }
    }
    throw new Error("unreachable");
  }
  markSeen(readerId: string, pageId: string, revision: number) {
    return this.change(readerId, pageId, (mark) => {
      mark.seenRevision = Math.max(mark.seenRevision, revision);
    });
  }
}
