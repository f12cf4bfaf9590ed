// FALSE shape (select-then-update), session 15 held-out check, safe-client-gateway
// src/modules/users/domain/users.repository.ts:378.
// Rule that would make it silent: a column filled when still NULL with a value that comes from the request (every
// concurrent caller has the same one) and not from the row: whichever fill lands last writes the same value.
import type { DataSource } from "typeorm";

class Member {
  id!: number;
  phone!: string | null;
  phoneIndex!: string;
}

declare function seal(id: number, value: string): Promise<string>;

export async function upsertMember(dataSource: DataSource, phoneIndex: string, phone: string) {
  return dataSource.transaction(async (manager) => {
    await manager.createQueryBuilder().insert().into(Member).values({ phoneIndex }).orIgnore().execute();
    const member = await manager.findOneOrFail(Member, { where: { phoneIndex }, select: { id: true, phone: true } });
    if (!member.phone) {
      await manager.update(Member, member.id, { phone: await seal(member.id, phone) });
    }
    return member.id;
  });
}
