import { Injectable, BadRequestException, NotFoundException } from "@nestjs/common";
import { EntityManager } from "@mikro-orm/postgresql";
import { Entity, PrimaryKey, Property } from "@mikro-orm/core";
@Entity() export class Quote { @PrimaryKey() id!: string; @Property() acceptToken!: string; @Property() status!: string; }
declare function convertQuoteToOrder(quoteId: string): Promise<{ orderId: string }>;
@Injectable()
export class QuoteAcceptance {
  constructor(private readonly em: EntityManager) {}
  async accept(token: string) {
    const quote = await this.em.findOne(Quote, { acceptToken: token });
    if (!quote) throw new NotFoundException();
    if (quote.status !== "sent") throw new BadRequestException("quote is no longer open");
    quote.status = "confirmed";
    await this.em.flush();
    return convertQuoteToOrder(quote.id);
  }
}
