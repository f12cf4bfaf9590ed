import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from "typeorm";

@Entity()
export class Favorite {
  @PrimaryColumn({ type: "text" })
  articleId: string;

  @PrimaryColumn({ type: "text" })
  memberId: string;

  @Column({ type: "timestamptz", nullable: true })
  remindAt: Date | null;
}

@Entity()
export class Shelf {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Column({ type: "text" })
  memberId: string;

  @Column({ type: "text" })
  title: string;
}
