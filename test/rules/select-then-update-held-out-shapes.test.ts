// select-then-update: the session-13 held-out set's FALSE shapes (a whole-list save, a read-through cache fill,
// constants behind checks that only refuse, a no-change shortcut through `|| null`), each next to a look-alike that
// stays reported.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** A course editor saving its whole lesson list; `entries` is the nested write of the lessons. */
const courseSave = (entries: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

type LessonInput = { id?: string; slug: string; title: string };

export async function saveCourse(courseId: string, form: { name: string; lessons: LessonInput[] }) {
  const course = await prisma.course.findUnique({ where: { id: courseId }, include: { lessons: true } });
  if (!course) throw new Error("course not found");
  return prisma.course.update({
    where: { id: courseId },
    data: {
      name: form.name,
      lessons: ${entries},
    },
  });
}
`;

/** A listing cache of a shop's catalogue: pages and their total under separate keys, each helper keyed by its parameter. */
const catalogueCache = `import Redis from "ioredis";

export class CatalogueCache {
  constructor(private readonly redis: Redis) {}

  async getTotal(cacheKey: string): Promise<number | null> {
    const raw = await this.redis.get(cacheKey);
    if (!raw) return null;
    const parsed = parseInt(raw, 10);
    return isNaN(parsed) ? null : parsed;
  }

  async setTotal(cacheKey: string, total: number, ttlSeconds: number): Promise<void> {
    await this.redis.set(cacheKey, total.toString(), "EX", ttlSeconds);
  }

  async setPage(cacheKey: string, page: unknown, ttlSeconds: number): Promise<void> {
    await this.redis.set(cacheKey, JSON.stringify(page), "EX", ttlSeconds);
  }
}
`;

/** The catalogue listing: the total read from the cache, `total` computed from it, then the page and total stored. */
const catalogueListing = (total: string) => `import Redis from "ioredis";
import { CatalogueCache } from "./catalogue-cache";

interface Catalogue {
  page(category: string, offset: number): Promise<Array<{ sku: string }>>;
  count(category: string): Promise<number>;
}

export async function listCategory(redis: Redis, catalogue: Catalogue, category: string, offset: number) {
  const cache = new CatalogueCache(redis);
  const cacheKey = \`page:\${category}:\${offset}\`;
  const totalKey = \`total:\${category}\`;
  const cachedTotal = await cache.getTotal(totalKey);
  const [items, counted] = await Promise.all([
    catalogue.page(category, offset),
    cachedTotal === null ? catalogue.count(category) : Promise.resolve(null),
  ]);
  const total = ${total};
  const page = { items, total, offset };
  await Promise.all([cache.setPage(cacheKey, page, 600), cache.setTotal(totalKey, total, 600)]);
  return page;
}
`;

/** Turning off two-step sign-in; `checks` run between the read of the seed and the write. */
const twoStepOff = (checks: string, data: string) => `import { Injectable, BadRequestException } from "@nestjs/common";
import { PrismaService } from "../prisma/prisma.service";
import { authenticator } from "otplib";

@Injectable()
export class TwoStepService {
  constructor(private readonly prisma: PrismaService) {}

  async turnOff(memberId: string, code: string) {
    const { otpSeed, otpEnabled } = await this.prisma.member.findUniqueOrThrow({
      where: { id: memberId },
      select: { otpSeed: true, otpEnabled: true },
    });
    ${checks}
    await this.prisma.member.update({ where: { id: memberId }, data: ${data} });
  }
}
`;

/** Assigning a support ticket, with the requested agent normalised as `normalise`. */
const assignTicket = (normalise: string) => `import { eq } from "drizzle-orm";
import { db } from "../db";
import { ticketTable } from "../db/schema";

export async function assignTicket(ticketId: string, agentId: string | null | undefined) {
  const ticket = await db.query.ticketTable.findFirst({ where: eq(ticketTable.id, ticketId) });
  if (!ticket) throw new Error("ticket not found");
  const nextAgent = ${normalise};
  if (ticket.agentId === nextAgent) return ticket;
  const [saved] = await db.update(ticketTable).set({ agentId: nextAgent || null }).where(eq(ticketTable.id, ticketId)).returning();
  return saved;
}
`;

/** A member inserted if missing, found by `phoneIndex`, then its phone filled while still empty; `index` is the key. */
const memberFill = (index: string) => `import type { DataSource } from "typeorm";
class Member {
  id!: number;
  phone!: string | null;
  phoneIndex!: string;
}
declare function digest(value: string): string;
declare function seal(id: number, value: string): Promise<string>;
export async function upsertMember(dataSource: DataSource, phone: string, given: string) {
  return dataSource.transaction(async (manager) => {
    const phoneIndex = ${index};
    await manager.createQueryBuilder().insert().into(Member).values({ phoneIndex }).orIgnore().execute();
    const member = await manager.findOneOrFail(Member, { where: { phoneIndex }, select: { id: true, phone: true } });
    if (!member.phone) {
      await manager.update(Member, member.id, { phone: await seal(member.id, phone) });
    }
    return member.id;
  });
}`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      // Session 15 held-out shape (repro s15/fill-null-with-request-value.ts, with the key computed from the phone).
      name: "a column filled when empty with the input the row was found by: every caller reaching the row writes the same",
      code: memberFill("digest(phone)"),
    },
    {
      name: "a whole-list save: the form's lessons the read lacks are created, the kept ones updated, the read ones it no longer lists deleted by id",
      code: courseSave(`{
        create: form.lessons
          .filter((l) => !course.lessons.some((existing) => existing.slug === l.slug))
          .map((l) => ({ slug: l.slug, title: l.title })),
        updateMany: form.lessons
          .filter((l) => l.id !== undefined)
          .map((l) => ({ where: { id: l.id }, data: { title: l.title } })),
        deleteMany: course.lessons
          .filter((existing) => !form.lessons.some((l) => l.id === existing.id))
          .map((existing) => ({ id: existing.id })),
      }`),
    },
    {
      name: "a read-through cache fill: the total stored is the one read, unchanged, or a count recomputed on a miss; the page goes to its own key",
      code: catalogueListing("cachedTotal !== null ? cachedTotal : (counted ?? 0)"),
      files: { "src/catalogue-cache.ts": catalogueCache },
    },
    {
      name: "two-step sign-in turned off: the checks refuse when it is already off or the code does not match the seed, and only constants are written",
      code: twoStepOff(
        `if (!otpSeed) throw new BadRequestException("two-step sign-in is off");
    const expected = authenticator.generate(otpSeed);
    if (code !== expected) throw new BadRequestException("wrong code");`,
        "{ otpSeed: null, otpEnabled: false }",
      ),
      filename: "src/auth/two-step.service.ts",
    },
    {
      name: "an assignment skipped when the ticket already has the agent: `nextAgent || null` is `nextAgent`, already null when empty",
      code: assignTicket("agentId || null"),
      filename: "src/tickets/assign-ticket.ts",
    },
  ],
  invalid: [
    {
      name: "a column filled when empty with an input the lookup key is not computed from: two callers write different values",
      code: memberFill("digest(given)"),
      errors: [{ line: 15, column: 13, messageId: "checkThenWrite" }],
    },
    {
      name: "the same list saved with `set`: the lessons read are put back with the new one, undoing a removal made in between",
      code: courseSave(`{
        set: [...course.lessons.map((existing) => ({ id: existing.id })), ...form.lessons.map((l) => ({ id: l.id! }))],
      }`),
      errors: [
        { line: 9, column: 10, messageId: "lostUpdate", data: { write: "`prisma.course.update(…)`", column: "`lessons`", line: 7 } },
      ],
    },
    {
      name: "a total kept by adding to the cached one: two listings add to the same value and one addition is lost",
      code: catalogueListing("(cachedTotal ?? 0) + items.length"),
      files: { "src/catalogue-cache.ts": catalogueCache },
      errors: [{ line: 20, column: 58, messageId: "redisLostUpdate" }],
    },
    {
      name: "a check that lets a change through: turning it on when it is off writes over whatever a concurrent call set",
      code: twoStepOff(
        `if (otpEnabled) throw new BadRequestException("two-step sign-in is already on");
    if (!otpSeed) throw new BadRequestException("no seed");`,
        '{ otpEnabled: true, otpSeed: "pending" }',
      ),
      filename: "src/auth/two-step.service.ts",
      errors: [{ line: 16, column: 11, messageId: "checkThenWrite" }],
    },
    {
      name: "`agentId ?? null` may be an empty string, so `nextAgent || null` can differ from what the check compared",
      code: assignTicket("agentId ?? null"),
      filename: "src/tickets/assign-ticket.ts",
      errors: [{ line: 10, column: 25, messageId: "checkThenWrite" }],
    },
  ],
});
