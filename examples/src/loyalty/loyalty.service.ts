// A NestJS service on TypeORM: its repository is injected, and the controller opens the transaction and passes its
// EntityManager in. Being inside a transaction does not stop two redemptions from reading the same balance; a
// pessimistic_write lock on the read does (the second redemption waits for the first to commit).
import { ConflictException, Injectable, NotFoundException } from "@nestjs/common";
import { InjectRepository } from "@nestjs/typeorm";
import { EntityManager, Repository } from "typeorm";
import { LoyaltyAccount } from "./loyalty-account.entity.js";

@Injectable()
export class LoyaltyService {
  constructor(@InjectRepository(LoyaltyAccount) private readonly accounts: Repository<LoyaltyAccount>) {}

  // ❌ select-then-update: the transaction is the controller's, but the read takes no lock, so two concurrent
  // redemptions both see 100 points, both pass the check and both save their own result.
  async redeem(manager: EntityManager, accountId: number, points: number): Promise<LoyaltyAccount> {
    const account = await manager.findOne(LoyaltyAccount, { where: { id: accountId } });
    if (!account) throw new NotFoundException();
    if (account.points < points) throw new ConflictException("not enough points");
    account.points -= points;
    return manager.save(account);
  }

  // ✅ The fix: lock the row in the caller's transaction; the second redemption reads the balance the first wrote.
  async redeemLocked(manager: EntityManager, accountId: number, points: number): Promise<LoyaltyAccount> {
    const account = await manager.findOne(LoyaltyAccount, { where: { id: accountId }, lock: { mode: "pessimistic_write" } });
    if (!account) throw new NotFoundException();
    if (account.points < points) throw new ConflictException("not enough points");
    account.points -= points;
    return manager.save(account);
  }

  // ✅ The injected repository, joined to the caller's transaction, with the same lock.
  async redeemWithRepository(manager: EntityManager, accountId: number, points: number): Promise<LoyaltyAccount> {
    const accounts = manager.withRepository(this.accounts);
    const account = await accounts.findOne({ where: { id: accountId }, lock: { mode: "pessimistic_write" } });
    if (!account) throw new NotFoundException();
    if (account.points < points) throw new ConflictException("not enough points");
    account.points -= points;
    return accounts.save(account);
  }

  // ✅ An award needs no read of the balance: the database adds to the current value.
  async award(accountId: number, points: number): Promise<void> {
    const account = await this.accounts.findOneBy({ id: accountId });
    if (!account) throw new NotFoundException();
    await this.accounts.increment({ id: accountId }, "points", points);
  }

  // ✅ Renaming copies the request's value, not one computed from the row read.
  async moveToCustomer(accountId: number, customerId: string): Promise<LoyaltyAccount> {
    const account = await this.accounts.findOneBy({ id: accountId });
    if (!account) throw new NotFoundException();
    account.customerId = customerId;
    return this.accounts.save(account);
  }
}
