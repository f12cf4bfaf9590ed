// select-then-update on ORMs the way NestJS / Express services use them: TypeORM repositories injected with
// `@InjectRepository`, MikroORM's unit of work (`em.flush()`), Mongoose documents and the MongoDB driver. No MongoDB
// server runs here: the Mongoose and MongoDB cases are analysis only.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const ACCOUNT_ENTITY = {
  "src/account.entity.ts": `import { Column, Entity, PrimaryGeneratedColumn, VersionColumn } from "typeorm";
@Entity()
export class Account {
  @PrimaryGeneratedColumn() id!: number;
  @Column() name!: string;
  @Column() balance!: number;
  @VersionColumn() version!: number;
}`,
};

/** A NestJS service whose repository is injected with `@InjectRepository(Account)`; `body` is one method. */
const accountService = (body: string) => `import { Injectable } from "@nestjs/common";
import { InjectRepository } from "@nestjs/typeorm";
import { DataSource, EntityManager, Repository } from "typeorm";
import { Account } from "./account.entity";

@Injectable()
export class AccountsService {
  constructor(
    @InjectRepository(Account) private readonly accounts: Repository<Account>,
    private readonly dataSource: DataSource,
  ) {}

${body}
}
`;

const MIKRO_ENTITIES = {
  "src/wallet.entity.ts": `import { Entity, PrimaryKey, Property } from "@mikro-orm/core";
@Entity()
export class Wallet {
  @PrimaryKey() id!: number;
  @Property() name!: string;
  @Property() balance!: number;
  @Property() frozen = false;
}`,
  "src/page.entity.ts": `import { Entity, PrimaryKey, Property } from "@mikro-orm/core";
@Entity()
export class Page {
  @PrimaryKey() id!: number;
  @Property() views!: number;
  @Property({ version: true }) version!: number;
}`,
};

/** A NestJS service on MikroORM: an injected `EntityRepository<Wallet>` and the request's `EntityManager`. */
const walletService = (body: string) => `import { Injectable } from "@nestjs/common";
import { InjectRepository } from "@mikro-orm/nestjs";
import { EntityManager, EntityRepository, LockMode, Transactional, raw, wrap } from "@mikro-orm/postgresql";
import { Page } from "./page.entity";
import { Wallet } from "./wallet.entity";

@Injectable()
export class WalletsService {
  constructor(
    @InjectRepository(Wallet) private readonly wallets: EntityRepository<Wallet>,
    private readonly em: EntityManager,
  ) {}

${body}
}
`;

/** An invite whose status moves from "sent" to "accepted" on the loaded entity (MikroORM and TypeORM). */
const INVITE_ENTITIES = {
  "src/invite.entity.ts": `import { Entity, PrimaryKey, Property } from "@mikro-orm/core";
@Entity()
export class Invite {
  @PrimaryKey() id!: number;
  @Property() status!: string;
  @Property() note!: string;
}`,
};
const inviteService = (body: string) => `import { Injectable } from "@nestjs/common";
import { EntityManager, LockMode } from "@mikro-orm/postgresql";
import { Invite } from "./invite.entity";

@Injectable()
export class InvitesService {
  constructor(private readonly em: EntityManager) {}

${body}
}
`;
const TYPEORM_INVITE = (body: string) => `import { Injectable } from "@nestjs/common";
import { InjectRepository } from "@nestjs/typeorm";
import { Repository, Entity, PrimaryGeneratedColumn, Column } from "typeorm";
@Entity() export class Ticket { @PrimaryGeneratedColumn() id!: number; @Column() status!: string; @Column() note!: string; }

@Injectable()
export class TicketsService {
  constructor(@InjectRepository(Ticket) private readonly tickets: Repository<Ticket>) {}

${body}
}
`;

/** Row locked in `em.transactional`, then flushed; without FLUSH the callback's return flushes it. */
const LOCKED_IN_TRANSACTIONAL = `  async spend(id: number, amount: number) {
    await this.em.transactional(async (em) => {
      const wallet = await em.findOneOrFail(Wallet, id, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (wallet.balance < amount) throw new Error("insufficient funds");
      wallet.balance -= amount;
      await em.flush();
    });
  }`;
const RELOCKED_IN_TRANSACTIONAL = `  async spend(id: number, amount: number) {
    await this.em.transactional(async (em) => {
      const wallet = await em.findOneOrFail(Wallet, id);
      await em.lock(wallet, LockMode.PESSIMISTIC_WRITE);
      wallet.balance -= amount;
      await em.flush();
    });
  }`;
const FLUSH = "\n      await em.flush();";

const MONGOOSE_SCHEMAS = {
  "src/user.schema.ts": `import { Prop, Schema, SchemaFactory } from "@nestjs/mongoose";
import { HydratedDocument } from "mongoose";
@Schema()
export class User {
  @Prop() points!: number;
  @Prop() status!: string;
  @Prop([String]) tags!: string[];
}
export type UserDocument = HydratedDocument<User>;
export const UserSchema = SchemaFactory.createForClass(User);`,
  "src/ledger.schema.ts": `import { Prop, Schema, SchemaFactory } from "@nestjs/mongoose";
@Schema({ optimisticConcurrency: true })
export class Ledger {
  @Prop() total!: number;
}
export const LedgerSchema = SchemaFactory.createForClass(Ledger);`,
  "src/models/counter.ts": `import { Schema, model } from "mongoose";
const CounterSchema = new Schema({ n: Number, owner: String });
export const Counter = model("Counter", CounterSchema);
const StockSchema = new Schema({ quantity: Number }, { optimisticConcurrency: true });
export const Stock = model("Stock", StockSchema);`,
};

/** A NestJS service with Mongoose models injected with `@InjectModel`. */
const userService = (body: string) => `import { Injectable } from "@nestjs/common";
import { InjectModel } from "@nestjs/mongoose";
import { Model } from "mongoose";
import { Ledger } from "./ledger.schema";
import { User, UserDocument } from "./user.schema";

@Injectable()
export class UsersService {
  constructor(
    @InjectModel(User.name) private readonly userModel: Model<UserDocument>,
    @InjectModel(Ledger.name) private readonly ledgerModel: Model<Ledger>,
  ) {}

${body}
}
`;

/** A profile update whose `data` is `data` (the row read first, `dto` the request's optional fields). */
const PROFILE_PATCH = (data: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function updateProfile(id: string, dto: { bio?: string; name?: string }) {
  const profile = await prisma.profile.findUniqueOrThrow({ where: { id } });
  await prisma.profile.update({ where: { id }, data: { ${data} } });
}`;
const PROFILE_LOST = { messageId: "lostUpdate", data: { write: "`prisma.profile.update(…)`", column: "`bio`", line: 4 } };
/** A moderation action that clears a profile's bio: a second writer of the form's column. */
const BIO_MODERATION = {
  "src/moderation.ts": `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function clearBio(id: string) {
  await prisma.profile.update({ where: { id }, data: { bio: null } });
}`,
};
const BIO_ALSO_WRITTEN = {
  messageId: "sharedColumnLostUpdate",
  data: { write: "`prisma.profile.update(…)`", column: "`bio`", line: 4, writer: "`clearBio` (moderation.ts:4)" },
};

const TYPEORM_LOST = (write: string, line: number) => ({
  messageId: "lostUpdate",
  data: { write, column: "`balance`", line },
});

runRuleTests(selectThenUpdate, {
  valid: [
    {
      // models/transaction-libraries.ts: a MongoDB transaction fails a write of a document changed since its read
      // (WriteConflict), and withTransaction runs the callback again.
      name: "MongoDB driver: findOne then updateOne, both given the session of withTransaction",
      code: `import { ClientSession, Db } from "mongodb";
export async function restock(db: Db, session: ClientSession, sku: string, added: number) {
  await session.withTransaction(async () => {
    const item = await db.collection("stock").findOne({ sku }, { session });
    if (!item) throw new Error("unknown sku");
    await db.collection("stock").updateOne({ sku }, { $set: { quantity: item.quantity + added } }, { session });
  });
}
`,
    },
    {
      name: "MikroORM (NestJS): a status moved on an entity read with PESSIMISTIC_WRITE in em.transactional, then flushed",
      files: INVITE_ENTITIES,
      code: inviteService(`  async accept(id: number) {
    await this.em.transactional(async (em) => {
      const invite = await em.findOneOrFail(Invite, id, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (invite.status !== "sent") throw new Error("invite is no longer open");
      invite.status = "accepted";
      await em.flush();
    });
  }`),
    },
    {
      name: "MikroORM (NestJS): a field set from the input on an entity only checked to exist, then flushed",
      files: INVITE_ENTITIES,
      code: inviteService(`  async annotate(id: number, note: string) {
    const invite = await this.em.findOne(Invite, id);
    if (!invite) throw new Error("no invite");
    invite.note = note;
    await this.em.flush();
  }`),
    },
    {
      name: "TypeORM (NestJS): a field set from the input on an entity only checked to exist, then saved",
      code: TYPEORM_INVITE(`  async annotate(id: number, note: string) {
    const ticket = await this.tickets.findOne({ where: { id } });
    if (!ticket) throw new Error("no ticket");
    ticket.note = note;
    return this.tickets.save(ticket);
  }`),
    },
    {
      name: "Prisma: a profile form's two fields, each the caller's value or the one read, and nothing else writes them",
      code: PROFILE_PATCH("bio: dto.bio ?? profile.bio, name: dto.name ?? profile.name"),
    },
    {
      name: "TypeORM (NestJS): pessimistic_write read through the transaction's repository (manager.getRepository)",
      files: ACCOUNT_ENTITY,
      code: accountService(`  async debit(id: number, amount: number) {
    await this.dataSource.transaction(async (manager) => {
      const accounts = manager.getRepository(Account);
      const account = await accounts.findOne({ where: { id }, lock: { mode: "pessimistic_write" } });
      if (!account) throw new Error("not found");
      account.balance -= amount;
      await accounts.save(account);
    });
  }`),
    },
    {
      name: "TypeORM (NestJS): manager.withRepository(this.accounts) inside the transaction, locked read",
      files: ACCOUNT_ENTITY,
      code: accountService(`  async debit(id: number, amount: number) {
    await this.dataSource.transaction(async (manager) => {
      const accounts = manager.withRepository(this.accounts);
      const account = await accounts.findOneOrFail({ where: { id }, lock: { mode: "pessimistic_write" } });
      account.balance -= amount;
      await accounts.save(account);
    });
  }`),
    },
    {
      name: "TypeORM (NestJS): queryRunner transaction with a pessimistic_write read through queryRunner.manager",
      files: ACCOUNT_ENTITY,
      code: accountService(`  async debit(id: number, amount: number) {
    const queryRunner = this.dataSource.createQueryRunner();
    await queryRunner.connect();
    await queryRunner.startTransaction();
    try {
      const account = await queryRunner.manager.findOne(Account, { where: { id }, lock: { mode: "pessimistic_write" } });
      if (!account) throw new Error("not found");
      account.balance -= amount;
      await queryRunner.manager.save(account);
      await queryRunner.commitTransaction();
    } catch (error) {
      await queryRunner.rollbackTransaction();
      throw error;
    } finally {
      await queryRunner.release();
    }
  }`),
    },
    {
      name: "TypeORM (NestJS): an EntityManager passed by the controller's transaction, locked read",
      files: ACCOUNT_ENTITY,
      code: accountService(`  async debit(manager: EntityManager, id: number, amount: number) {
    const account = await manager.findOneOrFail(Account, { where: { id }, lock: { mode: "pessimistic_write" } });
    account.balance -= amount;
    await manager.save(account);
  }`),
    },
    {
      name: "TypeORM (NestJS): lock: { mode: 'optimistic', version } on the read",
      files: ACCOUNT_ENTITY,
      code: accountService(`  async debit(id: number, version: number, amount: number) {
    const account = await this.accounts.findOne({ where: { id }, lock: { mode: "optimistic", version } });
    if (!account) throw new Error("not found");
    account.balance -= amount;
    await this.accounts.save(account);
  }`),
    },
    {
      name: "TypeORM (NestJS): increment is atomic; the read only decides whether it runs",
      files: ACCOUNT_ENTITY,
      code: accountService(`  async reward(id: number) {
    const account = await this.accounts.findOneByOrFail({ id });
    if (account.name === "blocked") return;
    await this.accounts.increment({ id }, "balance", 10);
  }`),
    },
    {
      name: "TypeORM (NestJS): a field set from the request, not from the row read",
      files: ACCOUNT_ENTITY,
      code: accountService(`  async rename(id: number, name: string) {
    const account = await this.accounts.findOneByOrFail({ id });
    account.name = name;
    return this.accounts.save(account);
  }`),
    },
    {
      name: "MikroORM (NestJS): lockMode PESSIMISTIC_WRITE inside em.transactional",
      files: MIKRO_ENTITIES,
      code: walletService(LOCKED_IN_TRANSACTIONAL),
    },
    {
      name: "MikroORM (NestJS): em.lock(entity, PESSIMISTIC_WRITE) after the read, in em.transactional",
      files: MIKRO_ENTITIES,
      code: walletService(RELOCKED_IN_TRANSACTIONAL),
    },
    {
      name: "MikroORM (NestJS): a pessimistic read outside a visible transaction (MikroORM refuses it outside one)",
      files: MIKRO_ENTITIES,
      code: walletService(`  async spend(id: number, amount: number) {
    const wallet = await this.wallets.findOneOrFail({ id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    wallet.balance -= amount;
    await this.em.flush();
  }`),
    },
    {
      name: "MikroORM (NestJS): LockMode.OPTIMISTIC with the version the client saw",
      files: MIKRO_ENTITIES,
      code: walletService(`  async spend(id: number, version: number, amount: number) {
    const wallet = await this.em.findOneOrFail(Wallet, id, { lockMode: LockMode.OPTIMISTIC, lockVersion: version });
    wallet.balance -= amount;
    await this.em.flush();
  }`),
    },
    {
      name: "MikroORM (NestJS): an entity with @Property({ version: true }): flush checks the version",
      files: MIKRO_ENTITIES,
      code: walletService(`  async view(id: number) {
    const page = await this.em.findOneOrFail(Page, id);
    page.views = page.views + 1;
    await this.em.flush();
  }`),
    },
    {
      name: "MikroORM (NestJS): nativeUpdate with raw SQL computed by the database",
      files: MIKRO_ENTITIES,
      code: walletService(`  async spend(id: number, amount: number) {
    const wallet = await this.wallets.findOneOrFail({ id });
    if (wallet.frozen) throw new Error("frozen");
    await this.em.nativeUpdate(Wallet, { id }, { balance: raw("balance - ?", [amount]) });
  }`),
    },
    {
      name: "MikroORM (NestJS): flush after a change that does not come from the row read",
      files: MIKRO_ENTITIES,
      code: walletService(`  async rename(id: number, name: string) {
    const wallet = await this.wallets.findOneOrFail({ id });
    wallet.name = name;
    await this.em.flush();
  }`),
    },
    {
      name: "MikroORM (NestJS): Collection.add is saved as the added row, not as the collection loaded",
      files: {
        ...MIKRO_ENTITIES,
        "src/tag.entity.ts": `import { Collection, Entity, ManyToMany, PrimaryKey } from "@mikro-orm/core";
@Entity()
export class Tag {
  @PrimaryKey() id!: number;
  @ManyToMany(() => Tag) related = new Collection<Tag>(this);
}`,
      },
      code: walletService(`  async relate(id: number, otherId: number) {
    const tag = await this.em.findOneOrFail(Tag, id, { populate: ["related"] });
    tag.related.add(this.em.getReference(Tag, otherId));
    await this.em.flush();
  }`).replace('import { Page } from "./page.entity";', 'import { Page } from "./page.entity";\nimport { Tag } from "./tag.entity";'),
    },
    {
      name: "MikroORM (NestJS): lockMode PESSIMISTIC_WRITE, flushed when the em.transactional callback returns",
      files: MIKRO_ENTITIES,
      code: walletService(LOCKED_IN_TRANSACTIONAL.replace(FLUSH, "")),
    },
    {
      name: "MikroORM (NestJS): em.lock after the read, flushed when the em.transactional callback returns",
      files: MIKRO_ENTITIES,
      code: walletService(RELOCKED_IN_TRANSACTIONAL.replace(FLUSH, "")),
    },
    {
      name: "MikroORM (NestJS): a @Transactional() method with lockMode PESSIMISTIC_WRITE, flushed when it returns",
      files: MIKRO_ENTITIES,
      code: walletService(`  @Transactional()
  async spend(id: number, amount: number) {
    const wallet = await this.em.findOneOrFail(Wallet, id, { lockMode: LockMode.PESSIMISTIC_WRITE });
    wallet.balance -= amount;
  }`),
    },
    {
      name: "MikroORM (NestJS): wrap(entity).assign with a value from the request, not from the row",
      files: MIKRO_ENTITIES,
      code: walletService(`  async rename(id: number, name: string) {
    const wallet = await this.em.findOneOrFail(Wallet, id);
    wrap(wallet).assign({ name });
    await this.em.flush();
  }`),
    },
    {
      name: "MikroORM (NestJS): wrap(entity).assign on an entity with @Property({ version: true })",
      files: MIKRO_ENTITIES,
      code: walletService(`  async view(id: number) {
    const page = await this.em.findOneOrFail(Page, id);
    wrap(page).assign({ views: page.views + 1 });
    await this.em.flush();
  }`),
    },
    {
      name: "MikroORM (NestJS): a @Transactional() that is not MikroORM's flushes nothing by itself",
      files: MIKRO_ENTITIES,
      code: walletService(`  @Transactional()
  async spend(id: number, amount: number) {
    const wallet = await this.em.findOneOrFail(Wallet, id);
    wallet.balance -= amount;
  }`).replace(", Transactional, raw, wrap }", ', raw, wrap }\nimport { Transactional } from "./transactional";'),
    },
    {
      name: "Prisma: the only column written is the caller's value, else the one read (`dto.bio ?? profile.bio`)",
      code: PROFILE_PATCH("bio: dto.bio ?? profile.bio"),
    },
    {
      name: "Mongoose (NestJS): $inc is atomic",
      files: MONGOOSE_SCHEMAS,
      code: userService(`  async addPoints(id: string, points: number) {
    const user = await this.userModel.findById(id).exec();
    if (!user) throw new Error("not found");
    await this.userModel.updateOne({ _id: id }, { $inc: { points } }).exec();
  }`),
    },
    {
      name: "Mongoose (NestJS): the balance check in the filter and the matched count checked",
      files: MONGOOSE_SCHEMAS,
      code: userService(`  async spend(id: string, amount: number) {
    const user = await this.userModel.findById(id);
    if (!user || user.points < amount) throw new Error("insufficient points");
    const result = await this.userModel.updateOne({ _id: id, points: { $gte: amount } }, { $inc: { points: -amount } });
    if (result.matchedCount === 0) throw new Error("insufficient points");
  }`),
    },
    {
      name: "Mongoose (NestJS): a status check repeated in the filter",
      files: MONGOOSE_SCHEMAS,
      code: userService(`  async activate(id: string) {
    const user = await this.userModel.findById(id);
    if (user?.status !== "pending") throw new Error("not pending");
    const result = await this.userModel.updateOne({ _id: id, status: "pending" }, { $set: { status: "active" } });
    if (result.matchedCount === 0) throw new Error("changed concurrently");
  }`),
    },
    {
      name: "Mongoose (NestJS): push onto a loaded array, then save (Mongoose saves it as $push)",
      files: MONGOOSE_SCHEMAS,
      code: userService(`  async tag(id: string, tag: string) {
    const user = await this.userModel.findOne({ _id: id });
    if (!user) throw new Error("not found");
    user.tags.push(tag);
    await user.save();
  }`),
    },
    {
      name: "Mongoose (NestJS): a membership check before $addToSet (running it twice changes nothing)",
      files: MONGOOSE_SCHEMAS,
      code: userService(`  async tag(id: string, tag: string) {
    const user = await this.userModel.findById(id).exec();
    if (!user) throw new NotFoundException();
    if (!user.tags.includes(tag)) await this.userModel.updateOne({ _id: id }, { $addToSet: { tags: tag } }).exec();
  }`),
    },
    {
      name: "Mongoose (NestJS): a schema with optimisticConcurrency: save checks the version",
      files: MONGOOSE_SCHEMAS,
      code: userService(`  async add(id: string, amount: number) {
    const ledger = await this.ledgerModel.findById(id);
    if (!ledger) throw new Error("not found");
    ledger.total += amount;
    await ledger.save();
  }`),
    },
    {
      name: "Mongoose (Express): a model whose schema sets optimisticConcurrency, imported from the models folder",
      files: MONGOOSE_SCHEMAS,
      code: `import { Request, Response } from "express";
import { Stock } from "./models/counter";

export async function reserve(req: Request, res: Response) {
  const stock = await Stock.findById(req.params.id);
  if (!stock || stock.quantity! < 1) return res.status(409).end();
  stock.quantity = stock.quantity! - 1;
  await stock.save();
  res.json(stock);
}
`,
    },
    {
      name: "MongoDB driver: $inc after a read that only decides whether it runs",
      code: `import { Db } from "mongodb";
export async function bump(db: Db, id: string) {
  const counter = await db.collection("counters").findOne({ _id: id });
  if (!counter) throw new Error("not found");
  await db.collection("counters").updateOne({ _id: id }, { $inc: { n: 1 } });
}
`,
    },
    {
      name: "MongoDB driver: a compare-and-set on the value read (unchecked-optimistic-update's business)",
      code: `import { Db } from "mongodb";
export async function bump(db: Db, id: string) {
  const counter = await db.collection("counters").findOne({ _id: id });
  if (!counter) throw new Error("not found");
  const result = await db.collection("counters").updateOne({ _id: id, n: counter.n }, { $set: { n: counter.n + 1 } });
  return result.matchedCount === 1;
}
`,
    },
  ],
  invalid: [
    {
      name: "MikroORM (NestJS): a status checked on the loaded entity, set on it and flushed (two accepts both pass)",
      files: INVITE_ENTITIES,
      code: inviteService(`  async accept(id: number) {
    const invite = await this.em.findOneOrFail(Invite, id);
    if (invite.status !== "sent") throw new Error("invite is no longer open");
    invite.status = "accepted";
    await this.em.flush();
  }`),
      errors: [{ line: 13, column: 11, messageId: "checkThenWrite", data: { write: "`this.em.flush(…)`", column: "`status`", line: 10 } }],
    },
    {
      name: "TypeORM (NestJS): a status checked on the loaded entity, set on it and saved",
      code: TYPEORM_INVITE(`  async close(id: number) {
    const ticket = await this.tickets.findOne({ where: { id } });
    if (!ticket || ticket.status !== "open") throw new Error("ticket is not open");
    ticket.status = "closed";
    await this.tickets.save(ticket);
  }`),
      errors: [
        { line: 14, column: 11, messageId: "checkThenWrite", data: { write: "`this.tickets.save(…)`", column: "`status`", line: 11 } },
      ],
    },
    {
      name: "TypeORM (NestJS): injected repository, findOneBy, mutate, save",
      files: ACCOUNT_ENTITY,
      code: accountService(`  async debit(id: number, amount: number) {
    const account = await this.accounts.findOneBy({ id });
    if (!account) throw new NotFoundException();
    account.balance -= amount;
    await this.accounts.save(account);
  }`),
      errors: [
        {
          line: 17,
          column: 11,
          ...TYPEORM_LOST("`this.accounts.save(…)`", 14),
          help: 'Lock the row (`lock: { mode: "pessimistic_write" }` inside a transaction) or update atomically (`.decrement("balance", n)`).',
          related: [{ line: 14, message: "value read here" }],
        },
      ],
    },
    {
      name: "TypeORM (NestJS): the repository of a project helper, with non-null assertions",
      files: ACCOUNT_ENTITY,
      code: accountService(`  private repository() {
    return this.dataSource.getRepository(Account);
  }

  async credit(id: number, amount: number) {
    const account = await this.repository().findOne({ where: { id } });
    account!.balance = account!.balance + amount;
    return this.repository().save(account!);
  }`),
      errors: [{ line: 20, column: 12, ...TYPEORM_LOST("`this.repository().save(…)`", 18) }],
    },
    {
      name: "TypeORM (NestJS): queryRunner transaction without a lock on the read",
      files: ACCOUNT_ENTITY,
      code: accountService(`  async debit(id: number, amount: number) {
    const queryRunner = this.dataSource.createQueryRunner();
    await queryRunner.startTransaction();
    try {
      const account = await queryRunner.manager.findOneOrFail(Account, { where: { id } });
      account.balance -= amount;
      await queryRunner.manager.save(account);
      await queryRunner.commitTransaction();
    } finally {
      await queryRunner.release();
    }
  }`),
      errors: [{ line: 19, column: 13, ...TYPEORM_LOST("`queryRunner.manager.save(…)`", 17) }],
    },
    {
      name: "TypeORM (NestJS): the controller's EntityManager without a lock on the read",
      files: ACCOUNT_ENTITY,
      code: accountService(`  async debit(manager: EntityManager, id: number, amount: number) {
    const account = await manager.findOneOrFail(Account, { where: { id } });
    account.balance -= amount;
    await manager.save(account);
  }`),
      errors: [{ line: 16, column: 11, ...TYPEORM_LOST("`manager.save(…)`", 14) }],
    },
    {
      name: "TypeORM (NestJS): a collection changed in place and saved (the concurrent addition is removed)",
      files: {
        "src/order.entity.ts": `import { Entity, OneToMany, PrimaryGeneratedColumn } from "typeorm";
import { OrderItem } from "./order-item.entity";
@Entity()
export class Order {
  @PrimaryGeneratedColumn() id!: number;
  @OneToMany(() => OrderItem, (item) => item.order, { cascade: true }) items!: OrderItem[];
}`,
        "src/order-item.entity.ts": `import { Column, Entity, ManyToOne, PrimaryGeneratedColumn } from "typeorm";
import { Order } from "./order.entity";
@Entity()
export class OrderItem {
  @PrimaryGeneratedColumn() id!: number;
  @Column() sku!: string;
  @ManyToOne(() => Order, (order) => order.items) order!: Order;
}`,
      },
      code: `import { Injectable } from "@nestjs/common";
import { InjectRepository } from "@nestjs/typeorm";
import { Repository } from "typeorm";
import { Order } from "./order.entity";
import { OrderItem } from "./order-item.entity";

@Injectable()
export class OrdersService {
  constructor(@InjectRepository(Order) private readonly orders: Repository<Order>) {}

  async addItem(orderId: number, sku: string) {
    const order = await this.orders.findOneOrFail({ where: { id: orderId }, relations: { items: true } });
    const item = new OrderItem();
    item.sku = sku;
    order.items.push(item);
    return this.orders.save(order);
  }
}
`,
      errors: [
        {
          line: 16,
          column: 12,
          messageId: "collectionLostUpdate",
          data: { write: "`this.orders.save(…)`", column: "`items`", line: 12 },
          help: 'Lock the row (`lock: { mode: "pessimistic_write" }` inside a transaction) before loading it, or add / remove the related rows themselves (`relation(…).of(entity).add(item)`, or save the new row with its foreign key) instead of saving the loaded collection.',
        },
      ],
    },
    {
      name: "TypeORM (NestJS): a counter incremented with ++ on the loaded entity, then saved",
      files: ACCOUNT_ENTITY,
      code: accountService(`  async touch(id: number) {
    const account = await this.accounts.findOneByOrFail({ id });
    account.balance++;
    await this.accounts.save(account);
  }`),
      errors: [{ line: 16, column: 11, ...TYPEORM_LOST("`this.accounts.save(…)`", 14) }],
    },
    {
      name: "MikroORM (NestJS): a counter incremented with ++ behind a check, then em.flush",
      files: MIKRO_ENTITIES,
      code: walletService(`  async bump(id: number) {
    const wallet = await this.wallets.findOneOrFail({ id }, { populate: ["name"] });
    if (!wallet.frozen) {
      wallet.balance++;
    }
    await this.em.flush();
  }`),
      errors: [{ line: 19, column: 11, messageId: "lostUpdate", data: { write: "`this.em.flush(…)`", column: "`balance`", line: 15 } }],
    },
    {
      name: "MikroORM (NestJS): em.findOne, change, em.flush",
      files: MIKRO_ENTITIES,
      code: walletService(`  async topUp(id: number, amount: number) {
    const wallet = await this.em.findOneOrFail(Wallet, id);
    wallet.balance += amount;
    await this.em.flush();
  }`),
      errors: [
        {
          line: 17,
          column: 11,
          messageId: "lostUpdate",
          data: { write: "`this.em.flush(…)`", column: "`balance`", line: 15 },
          help: 'Lock the row (`lockMode: LockMode.PESSIMISTIC_WRITE` on the read inside `em.transactional`) or update atomically (`nativeUpdate(…, { balance: raw("balance + ?", [n]) })`).',
          related: [{ line: 15, message: "value read here" }],
        },
      ],
    },
    {
      name: "MikroORM (NestJS): injected repository, a balance check, persistAndFlush",
      files: MIKRO_ENTITIES,
      code: walletService(`  async spend(id: number, amount: number) {
    const wallet = await this.wallets.findOneOrFail({ id });
    if (wallet.balance < amount) throw new Error("insufficient funds");
    wallet.balance = wallet.balance - amount;
    await this.em.persistAndFlush(wallet);
  }`),
      errors: [
        { line: 18, column: 11, messageId: "lostUpdate", data: { write: "`this.em.persistAndFlush(…)`", column: "`balance`", line: 15 } },
      ],
    },
    {
      name: "MikroORM (NestJS): em.transactional is a transaction, not a lock",
      files: MIKRO_ENTITIES,
      code: walletService(`  async spend(id: number, amount: number) {
    await this.em.transactional(async (em) => {
      const wallet = await em.findOneOrFail(Wallet, id);
      wallet.balance -= amount;
      await em.flush();
    });
  }`),
      errors: [{ line: 18, column: 13, messageId: "lostUpdate", data: { write: "`em.flush(…)`", column: "`balance`", line: 16 } }],
    },
    {
      name: "MikroORM (NestJS): em.transactional flushes the changed entity when its callback returns",
      files: MIKRO_ENTITIES,
      code: walletService(`  async spend(id: number, amount: number) {
    await this.em.transactional(async (em) => {
      const wallet = await em.findOneOrFail(Wallet, id);
      wallet.balance -= amount;
    });
  }`),
      errors: [
        {
          line: 15,
          column: 11,
          messageId: "lostUpdate",
          data: { write: "The flush at the end of `this.em.transactional(…)`", column: "`balance`", line: 16 },
          related: [{ line: 16, message: "value read here" }],
        },
      ],
    },
    {
      name: "MikroORM (NestJS): a @Transactional() method flushes the changed entity when it returns",
      files: MIKRO_ENTITIES,
      code: walletService(`  @Transactional()
  async spend(id: number, amount: number) {
    const wallet = await this.em.findOneOrFail(Wallet, id);
    if (wallet.balance < amount) throw new Error("insufficient funds");
    wallet.balance -= amount;
  }`),
      errors: [
        {
          line: 14,
          column: 4,
          messageId: "lostUpdate",
          data: { write: "The flush when the `@Transactional()` method returns", column: "`balance`", line: 16 },
        },
      ],
    },
    {
      name: "MikroORM (NestJS): an explicit em.flush in em.transactional is the write reported, once",
      files: MIKRO_ENTITIES,
      code: walletService(`  async spend(id: number, amount: number) {
    await this.em.transactional(async (em) => {
      const wallet = await em.findOneOrFail(Wallet, id);
      wallet.balance -= amount;
      await em.flush();
      wallet.name = "spent";
    });
  }`),
      errors: [{ line: 18, column: 13, messageId: "lostUpdate", data: { write: "`em.flush(…)`", column: "`balance`", line: 16 } }],
    },
    {
      name: "MikroORM (NestJS): em.assign with a value computed from the row, then em.flush",
      files: MIKRO_ENTITIES,
      code: walletService(`  async spend(id: number, amount: number) {
    const wallet = await this.em.findOneOrFail(Wallet, id);
    this.em.assign(wallet, { balance: wallet.balance - amount });
    await this.em.flush();
  }`),
      errors: [{ line: 17, column: 11, messageId: "lostUpdate", data: { write: "`this.em.flush(…)`", column: "`balance`", line: 15 } }],
    },
    {
      name: "MikroORM (NestJS): wrap(entity).assign with a value computed from the row, then em.flush",
      files: MIKRO_ENTITIES,
      code: walletService(`  async spend(id: number, amount: number) {
    const wallet = await this.em.findOneOrFail(Wallet, id);
    wrap(wallet).assign({ name: wallet.name, balance: wallet.balance - amount });
    await this.em.flush();
  }`),
      errors: [{ line: 17, column: 11, messageId: "lostUpdate", data: { write: "`this.em.flush(…)`", column: "`balance`", line: 15 } }],
    },
    {
      name: "MikroORM (NestJS): Object.assign onto the loaded entity, then persistAndFlush",
      files: MIKRO_ENTITIES,
      code: walletService(`  async spend(id: number, amount: number) {
    const wallet = await this.wallets.findOneOrFail({ id });
    Object.assign(wallet, { balance: wallet.balance - amount });
    await this.em.persistAndFlush(wallet);
  }`),
      errors: [
        { line: 17, column: 11, messageId: "lostUpdate", data: { write: "`this.em.persistAndFlush(…)`", column: "`balance`", line: 15 } },
      ],
    },
    {
      name: "Prisma: two columns each the caller's value or the one read, and a moderation action clears the bio: a save undoes it",
      code: PROFILE_PATCH("bio: dto.bio ?? profile.bio, name: dto.name ?? profile.name"),
      files: BIO_MODERATION,
      errors: [{ line: 5, column: 9, ...BIO_ALSO_WRITTEN }],
    },
    {
      name: "Prisma: the caller's name beside `dto.bio ?? profile.bio`, and another writer of bio",
      code: PROFILE_PATCH('name: dto.name ?? "", bio: dto.bio ?? profile.bio'),
      files: BIO_MODERATION,
      errors: [{ line: 5, column: 9, ...BIO_ALSO_WRITTEN }],
    },
    {
      name: "Prisma: the caller's value, else one computed from the row read (not the value read)",
      code: PROFILE_PATCH("bio: dto.bio ?? profile.bio.trim()"),
      errors: [{ line: 5, column: 9, ...PROFILE_LOST }],
    },
    {
      name: "MikroORM (NestJS): em.lock after the read on one branch only: the other path writes unlocked",
      files: MIKRO_ENTITIES,
      code: walletService(`  async spend(id: number, amount: number) {
    await this.em.transactional(async (em) => {
      const wallet = await em.findOneOrFail(Wallet, id);
      if (amount > 100) await em.lock(wallet, LockMode.PESSIMISTIC_WRITE);
      wallet.balance -= amount;
      await em.flush();
    });
  }`),
      errors: [{ line: 19, column: 13, messageId: "lostUpdate", data: { write: "`em.flush(…)`", column: "`balance`", line: 16 } }],
    },
    {
      name: "MikroORM (NestJS): nativeUpdate with a value computed in code",
      files: MIKRO_ENTITIES,
      code: walletService(`  async spend(id: number, amount: number) {
    const wallet = await this.wallets.findOneOrFail({ id });
    await this.em.nativeUpdate(Wallet, { id }, { balance: wallet.balance - amount });
  }`),
      errors: [
        { line: 16, column: 11, messageId: "lostUpdate", data: { write: "`this.em.nativeUpdate(…)`", column: "`balance`", line: 15 } },
      ],
    },
    {
      name: "Mongoose (NestJS): findById, change, save",
      files: MONGOOSE_SCHEMAS,
      code: userService(`  async addPoints(id: string, points: number) {
    const user = await this.userModel.findById(id).exec();
    if (!user) throw new NotFoundException();
    user.points += points;
    await user.save();
  }`),
      errors: [
        {
          line: 18,
          column: 11,
          messageId: "documentLostUpdate",
          data: { write: "`user.save(…)`", column: "`points`", line: 15 },
          help: "Update atomically (`updateOne({ _id, … }, { $inc: { points: n } })`), or put the check (or the value read, or a version) in the update's filter and check `matchedCount` or set `optimisticConcurrency: true` on the schema, so that `save()` fails on a concurrent change.",
          related: [{ line: 15, message: "value read here" }],
        },
      ],
    },
    {
      name: "Mongoose (NestJS): a status check not repeated in the update's filter",
      files: MONGOOSE_SCHEMAS,
      code: userService(`  async activate(id: string) {
    const user = await this.userModel.findById(id);
    if (user?.status !== "pending") throw new Error("not pending");
    await this.userModel.updateOne({ _id: id }, { $set: { status: "active" } });
  }`),
      errors: [
        {
          line: 17,
          column: 11,
          messageId: "documentCheckThenWrite",
          data: { write: "`this.userModel.updateOne(…)`", column: "`status`", line: 15 },
          help: "Put the check (or the value read, or a version) in the update's filter and check `matchedCount`.",
        },
      ],
    },
    {
      name: "Mongoose (Express): a model imported from the project, findOne then findOneAndUpdate with $set",
      files: MONGOOSE_SCHEMAS,
      code: `import { Request, Response } from "express";
import { Counter } from "./models/counter";

export async function next(req: Request, res: Response) {
  const counter = await Counter.findOne({ owner: req.params.owner });
  if (!counter) return res.status(404).end();
  const updated = await Counter.findByIdAndUpdate(counter._id, { $set: { n: counter.n! + 1 } }, { new: true });
  res.json(updated);
}
`,
      errors: [
        { line: 7, column: 25, messageId: "documentLostUpdate", data: { write: "`Counter.findByIdAndUpdate(…)`", column: "`n`", line: 5 } },
      ],
    },
    {
      name: "Mongoose (NestJS): a membership check before $push: two concurrent calls both push (a duplicate)",
      files: MONGOOSE_SCHEMAS,
      code: userService(`  async tag(id: string, tag: string) {
    const user = await this.userModel.findById(id).exec();
    if (!user) throw new NotFoundException();
    if (!user.tags.includes(tag)) await this.userModel.updateOne({ _id: id }, { $push: { tags: tag } }).exec();
  }`),
      errors: [
        {
          line: 17,
          column: 41,
          messageId: "documentCheckThenWrite",
          data: { write: "`this.userModel.updateOne(…)…exec(…)`", column: "`tags`", line: 15 },
        },
      ],
    },
    {
      name: "Mongoose (Express): a model imported from a project file in a file that imports no database library",
      files: MONGOOSE_SCHEMAS,
      code: `import { Counter } from "./models/counter";

export async function take(owner: string, amount: number) {
  const counter = await Counter.findOne({ owner });
  if (!counter || counter.n! < amount) return null;
  counter.n = counter.n! - amount;
  await counter.save();
  return counter;
}
`,
      errors: [{ line: 7, column: 9, messageId: "documentLostUpdate", data: { write: "`counter.save(…)`", column: "`n`", line: 4 } }],
    },
    {
      name: "MongoDB driver: findOne then updateOne with $set computed in code",
      code: `import { Db } from "mongodb";
export async function bump(db: Db, id: string) {
  const counter = await db.collection("counters").findOne({ _id: id });
  if (!counter) throw new Error("not found");
  await db.collection("counters").updateOne({ _id: id }, { $set: { n: counter.n + 1 } });
}
`,
      errors: [
        {
          line: 5,
          column: 9,
          messageId: "documentLostUpdate",
          data: { write: '`db.collection("counters").updateOne(…)`', column: "`n`", line: 3 },
          help: "Update atomically (`updateOne({ _id, … }, { $inc: { n: n } })`), or put the check (or the value read, or a version) in the update's filter and check `matchedCount`.",
        },
      ],
    },
    {
      name: "MongoDB driver: inside withTransaction, but the read is not given the session: it reads outside the transaction",
      code: `import { ClientSession, Db } from "mongodb";
export async function restock(db: Db, session: ClientSession, sku: string, added: number) {
  await session.withTransaction(async () => {
    const item = await db.collection("stock").findOne({ sku });
    if (!item) throw new Error("unknown sku");
    await db.collection("stock").updateOne({ sku }, { $set: { quantity: item.quantity + added } }, { session });
  });
}
`,
      errors: [
        {
          line: 6,
          column: 11,
          messageId: "documentLostUpdate",
          data: { write: '`db.collection("stock").updateOne(…)`', column: "`quantity`", line: 4 },
          help: "Update atomically (`updateOne({ _id, … }, { $inc: { quantity: n } })`), or put the check (or the value read, or a version) in the update's filter and check `matchedCount`.",
        },
      ],
    },
  ],
});
