// The TypeORM entity behind b110's raw SQL: `company` has its primary key and no unique index over the name.
import { Column, Entity, PrimaryGeneratedColumn } from "typeorm";

@Entity("company")
export class Company {
  @PrimaryGeneratedColumn("uuid")
  id!: string;

  @Column()
  name!: string;

  @Column({ type: "timestamptz", nullable: true })
  deletedAt!: Date | null;
}
