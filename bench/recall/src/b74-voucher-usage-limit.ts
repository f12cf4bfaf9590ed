import { Injectable, BadRequestException } from "@nestjs/common";
import { InjectRepository } from "@nestjs/typeorm";
import { Repository } from "typeorm";
import { Basket, Voucher } from "./shop-entities";
@Injectable()
export class VoucherCheckoutService {
  constructor(
    @InjectRepository(Voucher) private readonly vouchers: Repository<Voucher>,
    @InjectRepository(Basket) private readonly baskets: Repository<Basket>,
  ) {}
  async completeWithVoucher(basketId: string, code: string) {
    const voucher = await this.vouchers.findOneByOrFail({ code });
    const used = await this.baskets.count({ where: { voucherCode: code, state: "completed" } });
    if (voucher.usageLimit !== null && used >= voucher.usageLimit) throw new BadRequestException("voucher used up");
    // Two checkouts both count `used` below the limit, then both complete: the limit is exceeded.
    await this.baskets.update({ id: basketId }, { voucherCode: code, state: "completed" });
  }
}
