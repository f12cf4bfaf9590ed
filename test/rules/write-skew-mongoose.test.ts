// write-skew on Mongoose (session 14, held-out misses): `Model.countDocuments(filter)` (or legacy `count`) deciding a
// `create` / `insertMany` of the set it counted, or a `deleteOne` out of it, several awaits later. MongoDB has no
// SERIALIZABLE, so nothing but a lock keyed by the set, a bounded atomic counter or a unique index closes the race.
// Also the id of a row read by that id: `raffleId: raffle.id` after `const raffle = await findById(raffleId)` joins the
// set counted by `raffleId`. Look-alikes: an emptiness test (a unique index's job), another key's set, a filter a unique
// index of the model pins, a mutex around both, a row read by something else than its id.
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";

/** A NestJS service over a Mongoose model of raffle entries. */
const ENTRY_SERVICE = `import { Injectable } from "@nestjs/common";
import { InjectModel } from "@nestjs/mongoose";
import { Model } from "mongoose";

export interface Entry {
  id: string;
  raffleId: string;
  email: string;
}

@Injectable()
export class EntryService {
  constructor(@InjectModel("Entry") private readonly entryModel: Model<Entry>) {}

  async countForRaffle(raffleId: string): Promise<number> {
    return this.entryModel.countDocuments({ raffleId });
  }

  async add(entry: Partial<Entry>): Promise<string> {
    const created = await this.entryModel.create(entry);
    return created.id;
  }
}
`;

/** A resolver entering a raffle: the entries counted through the service, an e-mail check, then the entry added. */
const enterRaffle = (lookup: string, inserted: string) => `import { BadRequestException } from "@nestjs/common";
import { EntryService } from "./entry.service";

interface Raffle {
  id: string;
  maxEntries: number;
}
interface RaffleService {
  findById(id: string): Promise<Raffle | null>;
  findBySlug(slug: string): Promise<Raffle | null>;
}
interface Mailer {
  verify(email: string): Promise<boolean>;
}

export class EnterRaffleResolver {
  constructor(
    private readonly raffles: RaffleService,
    private readonly entryService: EntryService,
    private readonly mailer: Mailer,
  ) {}

  async enter(raffleId: string, email: string): Promise<string> {
    const raffle = await this.raffles.${lookup};
    if (!raffle) throw new BadRequestException("no such raffle");
    const entries = await this.entryService.countForRaffle(raffleId);
    if (entries >= raffle.maxEntries) throw new BadRequestException("raffle full");
    if (!(await this.mailer.verify(email))) throw new BadRequestException("bad e-mail");
    return this.entryService.add({ raffleId: ${inserted}, email });
  }
}
`;

/** An Express handler on a Mongoose model declared in the file; `schemaExtra` follows the schema, `body` is the handler's. */
const seats = (schemaExtra: string, body: string) => `import mongoose, { Schema } from "mongoose";

const seatSchema = new Schema({ workshopId: String, attendee: String, role: String });
${schemaExtra}
const Seat = mongoose.model("Seat", seatSchema);

export async function book(workshopId: string, attendee: string, capacity: number) {
${body}
}
`;

const INLINE_CAP = `  const taken = await Seat.countDocuments({ workshopId });
  if (taken >= capacity) throw new Error("workshop full");
  await Seat.create({ workshopId, attendee, role: "guest" });`;

runRuleTests(writeSkew, {
  valid: [
    {
      name: "Mongoose: the raffle read by its slug, not its id: its id is not known to be the counted key",
      code: enterRaffle("findBySlug(raffleId)", "raffle.id"),
      filename: "src/enter-raffle.resolver.ts",
      files: { "src/entry.service.ts": ENTRY_SERVICE },
    },
    {
      name: "Mongoose: the entry added to another raffle than the one counted",
      code: enterRaffle("findById(raffleId)", '"house-raffle"'),
      filename: "src/enter-raffle.resolver.ts",
      files: { "src/entry.service.ts": ENTRY_SERVICE },
    },
    {
      name: "Mongoose: an emptiness test before the insert, under a unique index over the fields it counts",
      code: seats(
        "seatSchema.index({ workshopId: 1, attendee: 1 }, { unique: true });",
        `  const mine = await Seat.countDocuments({ workshopId, attendee });
  if (mine > 0) throw new Error("already booked");
  await Seat.create({ workshopId, attendee, role: "guest" });`,
      ),
    },
    {
      name: "Mongoose: a unique index over the counted fields (one row at most per workshop and attendee)",
      code: seats(
        "seatSchema.index({ workshopId: 1, attendee: 1 }, { unique: true });",
        `  const mine = await Seat.countDocuments({ workshopId, attendee });
  if (mine >= capacity) throw new Error("limit reached");
  await Seat.create({ workshopId, attendee, role: "guest" });`,
      ),
    },
    {
      name: "Mongoose: the count and the insert under one async-mutex",
      code: `import mongoose, { Schema } from "mongoose";
import { Mutex } from "async-mutex";

const Seat = mongoose.model("Seat", new Schema({ workshopId: String, attendee: String }));
const booking = new Mutex();

export async function book(workshopId: string, attendee: string, capacity: number) {
  await booking.runExclusive(async () => {
    const taken = await Seat.countDocuments({ workshopId });
    if (taken >= capacity) throw new Error("workshop full");
    await Seat.create({ workshopId, attendee });
  });
}
`,
    },
    {
      name: "Mongoose: seats of another workshop inserted after the count",
      code: seats(
        "",
        `  const taken = await Seat.countDocuments({ workshopId });
  if (taken >= capacity) throw new Error("workshop full");
  await Seat.create({ workshopId: "waiting-list", attendee, role: "guest" });`,
      ),
    },
  ],
  invalid: [
    {
      name: "Mongoose: entries counted through a service, an e-mail check, then an entry of the raffle read by that id added",
      code: enterRaffle("findById(raffleId)", "raffle.id"),
      filename: "src/enter-raffle.resolver.ts",
      files: { "src/entry.service.ts": ENTRY_SERVICE },
      errors: [
        {
          line: 29,
          column: 12,
          messageId: "grows",
          data: {
            check: "`this.entryService.countForRaffle(…)`",
            checkLine: 26,
            verb: "inserts",
            write: "`this.entryService.add(…)`",
            line: 29,
          },
          help: /MongoDB has no SERIALIZABLE/,
        },
      ],
    },
    {
      // Session 17: the schema declared in the file is where its unique indexes are (as a Prisma schema's): none
      // covers the fields counted, so the emptiness test is the only guard and both requests insert.
      name: "Mongoose: an emptiness test before the insert, and the schema in the file declares no unique index over it",
      code: seats(
        "",
        `  const mine = await Seat.countDocuments({ workshopId, attendee });
  if (mine > 0) throw new Error("already booked");
  await Seat.create({ workshopId, attendee, role: "guest" });`,
      ),
      errors: [
        {
          line: 10,
          column: 9,
          messageId: "duplicate",
          data: { fields: "`workshopId`, `attendee`", checkLine: 8, write: "`Seat.create(…)`", line: 10 },
          help: /unique index over `workshopId`, `attendee` on the schema/,
        },
      ],
    },
    {
      name: "Mongoose: seats counted and one created in the same handler, no lock and no unique index",
      code: seats("", INLINE_CAP),
      errors: [{ line: 10, column: 9, messageId: "grows" }],
    },
    {
      name: "Mongoose: admins counted above one, then one removed (two removals can leave none)",
      code: `import mongoose, { Schema } from "mongoose";

const Member = mongoose.model("Member", new Schema({ teamId: String, role: String }));

export async function removeAdmin(teamId: string, memberId: string) {
  const admins = await Member.countDocuments({ teamId, role: "admin" });
  if (admins <= 1) throw new Error("a team keeps one admin");
  await Member.deleteOne({ _id: memberId, teamId, role: "admin" });
}
`,
      errors: [{ line: 8, column: 9, messageId: "shrinks" }],
    },
  ],
});
