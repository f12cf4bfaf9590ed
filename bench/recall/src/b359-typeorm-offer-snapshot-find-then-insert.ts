import { Injectable } from "@nestjs/common";
import { InjectRepository } from "@nestjs/typeorm";
import { Column, Entity, Index, PrimaryGeneratedColumn, Repository } from "typeorm";
// No unique index over (connectionId, offerId): the table has only its generated id.
@Entity("offer_commercial_snapshots")
export class OfferCommercialSnapshot {
  @PrimaryGeneratedColumn("uuid")
  id!: string;
  @Column()
  connectionId!: string;
  @Column()
  offerId!: string;
  @Column("numeric")
  price!: string;
  @Column()
  currency!: string;
  @Column()
  observedAt!: Date;
}
type SnapshotCommand = { connectionId: string; offerId: string; price: string; currency: string; observedAt: Date };
// The latest commercial data of a marketplace offer is kept in one row per offer: the row is looked up, changed and saved
// when there is one, created otherwise. The hourly scan, the delayed refresh after an offer is created and the operator's
// refresh endpoint all reach it: two of them refreshing a new offer together both find nothing and both insert, and the
// offer has two "latest" snapshots from then on.
@Injectable()
export class OfferCommercialSnapshotRepository {
  constructor(@InjectRepository(OfferCommercialSnapshot) private readonly ormRepository: Repository<OfferCommercialSnapshot>) {}
  async record(command: SnapshotCommand) {
    const existing = await this.ormRepository.findOne({
      where: { connectionId: command.connectionId, offerId: command.offerId },
    });
    if (existing) {
      existing.price = command.price;
      existing.currency = command.currency;
      existing.observedAt = command.observedAt;
      return this.ormRepository.save(existing);
    }
    return this.ormRepository.save(this.ormRepository.create(command));
  }
}
// Correct: a unique index over the pair, and an upsert on it.
@Entity("offer_price_snapshots")
@Index(["connectionId", "offerId"], { unique: true })
export class OfferPriceSnapshot {
  @PrimaryGeneratedColumn("uuid")
  id!: string;
  @Column()
  connectionId!: string;
  @Column()
  offerId!: string;
  @Column("numeric")
  price!: string;
  @Column()
  currency!: string;
  @Column()
  observedAt!: Date;
}
@Injectable()
export class OfferPriceSnapshotRepository {
  constructor(@InjectRepository(OfferPriceSnapshot) private readonly ormRepository: Repository<OfferPriceSnapshot>) {}
  async record(command: SnapshotCommand) {
    await this.ormRepository.upsert(command, ["connectionId", "offerId"]);
  }
}
