import { Injectable } from "@nestjs/common";
import { EntityManager } from "@mikro-orm/postgresql";
import { Entity, PrimaryKey, Property } from "@mikro-orm/core";
@Entity() export class Voucher { @PrimaryKey() id!: string; @Property() code!: string; @Property() redeemed!: number; @Property() cap!: number | null; }
@Injectable()
export class VoucherLedger {
  constructor(private readonly em: EntityManager) {}
  async recordRedemptions(codes: string[], uses: Record<string, number>) {
    const vouchers = await this.em.find(Voucher, { code: { $in: codes } });
    const pending = new Map<string, { id: string; redeemed: number }>();
    for (const voucher of vouchers) {
      const redeemed = voucher.redeemed + (uses[voucher.code] ?? 1);
      if (voucher.cap !== null && redeemed > voucher.cap) throw new Error("voucher limit reached");
      pending.set(voucher.id, { id: voucher.id, redeemed });
    }
    for (const { id, redeemed } of pending.values()) await this.em.nativeUpdate(Voucher, { id }, { redeemed });
  }
}
