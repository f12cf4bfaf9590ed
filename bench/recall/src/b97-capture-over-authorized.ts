import { Injectable } from "@nestjs/common";
import { EntityManager } from "@mikro-orm/postgresql";
import { Entity, PrimaryKey, Property } from "@mikro-orm/core";
@Entity() export class Charge { @PrimaryKey() id!: string; @Property() authorized!: number; }
@Entity() export class ChargeCapture { @PrimaryKey() id!: string; @Property() chargeId!: string; @Property() amount!: number; }
// The captures so far are summed and checked against the authorized amount, then a capture is inserted: two captures
// both fit in the remainder on their own and together exceed it.
@Injectable()
export class CaptureService {
  constructor(private readonly em: EntityManager) {}
  async capture(chargeId: string, amount: number) {
    const charge = await this.em.findOneOrFail(Charge, { id: chargeId });
    const captures = await this.em.find(ChargeCapture, { chargeId });
    const captured = captures.reduce((sum, c) => sum + c.amount, 0);
    if (captured + amount > charge.authorized) throw new Error("capture exceeds the authorized amount");
    const capture = this.em.create(ChargeCapture, { id: crypto.randomUUID(), chargeId, amount });
    await this.em.persistAndFlush(capture);
    return capture;
  }
}
