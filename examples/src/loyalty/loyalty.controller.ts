import { Body, Controller, Param, Post } from "@nestjs/common";
import { DataSource } from "typeorm";
import { LoyaltyAccount } from "./loyalty-account.entity.js";
import { LoyaltyService } from "./loyalty.service.js";

@Controller("loyalty")
export class LoyaltyController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly loyalty: LoyaltyService,
  ) {}

  // The controller owns the transaction and hands its EntityManager to the service.
  @Post(":id/redeem")
  redeem(@Param("id") id: string, @Body("points") points: number): Promise<LoyaltyAccount> {
    return this.dataSource.transaction((manager) => this.loyalty.redeemLocked(manager, Number(id), points));
  }
}
