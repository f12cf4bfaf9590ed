import { Entity, PrimaryKey, Property, Unique } from "@mikro-orm/core";
import { MikroORM } from "@mikro-orm/postgresql";
// No unique index covers (tutor, start): the lookup below is all that keeps one ad-hoc slot per tutor and hour.
@Entity()
export class AdHocSlot {
  @PrimaryKey() id!: number;
  @Property() tutorId!: string;
  @Property() startsAt!: Date;
  @Property() minutes!: number;
}
@Entity()
@Unique({ properties: ["tutorId", "startsAt"] })
export class OpenSlot {
  @PrimaryKey() id!: number;
  @Property() tutorId!: string;
  @Property() startsAt!: Date;
  @Property() minutes!: number;
}
declare const orm: MikroORM;
// A booking finds the tutor's ad-hoc slot for the hour or creates it. Two bookings of a new hour both find nothing and
// both persist a slot: the hour has two slots and each booking sits on its own.
export async function findOrCreateSlot(tutorId: string, startsAt: Date) {
  const em = orm.em.fork();
  let slot = await em.findOne(AdHocSlot, { tutorId, startsAt });
  if (!slot) {
    slot = em.create(AdHocSlot, { tutorId, startsAt, minutes: 60 });
    await em.persistAndFlush(slot);
  }
  return slot;
}
// Correct: a unique index over (tutor, start) and one upsert on it.
export async function findOrCreateSlotUpsert(tutorId: string, startsAt: Date) {
  const em = orm.em.fork();
  return em.upsert(OpenSlot, { tutorId, startsAt, minutes: 60 }, { onConflictFields: ["tutorId", "startsAt"] });
}
