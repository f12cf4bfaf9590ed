import { Injectable } from "@nestjs/common";
import { InjectRepository } from "@nestjs/typeorm";
import { Repository, Entity, PrimaryGeneratedColumn, Column } from "typeorm";
@Entity() export class Account { @PrimaryGeneratedColumn("uuid") id!: string; @Column("numeric") currentBalance!: number; }
@Injectable()
export class AccountsService {
  constructor(@InjectRepository(Account) private readonly accountsRepository: Repository<Account>) {}
  async updateBalance(accountId: string, amount: number): Promise<Account> {
    const account = await this.accountsRepository.findOne({ where: { id: accountId } });
    if (!account) throw new Error("not found");
    account.currentBalance = Math.round((Number(account.currentBalance) + amount) * 100) / 100;
    return this.accountsRepository.save(account);
  }
}
