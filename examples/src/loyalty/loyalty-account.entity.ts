import { Column, Entity, PrimaryGeneratedColumn } from "typeorm";

@Entity()
export class LoyaltyAccount {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column()
  customerId!: string;

  @Column()
  points!: number;
}
