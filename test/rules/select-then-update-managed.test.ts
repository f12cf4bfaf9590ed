// select-then-update inside managed transactions: code that runs in a transaction kept in async-local storage
// (typeorm-transactional's and @nestjs-cls/transactional's `@Transactional()`, their `runInTransaction` /
// `txHost.withTransaction`, a Sequelize callback relying on CLS) is inside a transaction, and a locking read that takes
// part in it (every repository for typeorm-transactional, `this.txHost.tx` for nestjs-cls) holds the row. Look-alikes:
// a project's own `@Transactional()` (not known to open anything), a read through a client the transaction does not
// bind, a Sequelize callback that takes the handle and does not pass it. Also a repository's query builder
// (`this.accounts.createQueryBuilder().update().set(…).where({ id })`), which updates the repository's entity. A
// project's own wrapper that binds the transaction to an AsyncLocalStorage (`prisma.$transaction((tx) =>
// store.run(tx, fn))`) is one too: statements through its `db()` (which returns `store.getStore() ?? prisma`) take part.
// So is a project's own method decorator running the method in `dataSource.transaction` with the manager in an
// AsyncLocalStorage (look-alikes: the injected repository, a decorator that binds nothing or runs the method after
// its transaction), and a Sequelize callback that takes the handle when another file calls `Sequelize.useCLS`
// (look-alike: an unmanaged `await sequelize.transaction()`, which CLS does not bind).
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const ACCOUNT_ENTITY = {
  "src/account.entity.ts": `import { Column, Entity, PrimaryGeneratedColumn } from "typeorm";
@Entity()
export class Account {
  @PrimaryGeneratedColumn() id!: number;
  @Column() balance!: number;
}`,
  "src/transactional.ts": `export function Transactional(): MethodDecorator {
  return () => undefined;
}`,
};

/** A NestJS service on TypeORM with typeorm-transactional; `decorator` is where `Transactional` comes from. */
const typeormService = (body: string, decorator = "typeorm-transactional") => `import { Injectable } from "@nestjs/common";
import { InjectRepository } from "@nestjs/typeorm";
import { DataSource, Repository } from "typeorm";
import { runInTransaction } from "typeorm-transactional";
import { Transactional } from "${decorator}";
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

/** A NestJS service on Prisma through @nestjs-cls/transactional's TransactionHost, with the plain client next to it. */
const clsService = (body: string) => `import { Injectable } from "@nestjs/common";
import { PrismaClient } from "@prisma/client";
import { Transactional, TransactionHost } from "@nestjs-cls/transactional";
import { TransactionalAdapterPrisma } from "@nestjs-cls/transactional-adapter-prisma";

@Injectable()
export class CreditsService {
  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterPrisma>,
    private readonly prisma: PrismaClient,
  ) {}

${body}
}
`;

/** Express-style Sequelize code; the model file enables CLS as `Sequelize.useCLS(namespace)` does. */
const sequelizeModule = (body: string) => `import { DataTypes, Model, Sequelize, Transaction } from "sequelize";
export const sequelize = new Sequelize("postgres://localhost/shop");
export class Seat extends Model {
  declare id: number;
  declare left: number;
}
Seat.init({ left: DataTypes.INTEGER }, { sequelize });

${body}
`;

/** A project's own `@Transactional()`: runs the method in `dataSource.transaction`, the manager bound to AsyncLocalStorage when `bind`. */
const projectDecorator = (bind: boolean, opener = "dataSource.transaction") => ({
  ...ACCOUNT_ENTITY,
  "src/transactional.ts": `import { AsyncLocalStorage } from "node:async_hooks";
import { DataSource, EntityManager } from "typeorm";
export const dataSource = new DataSource({ type: "postgres" });
const managers = new AsyncLocalStorage<EntityManager>();
export function currentManager(): EntityManager {
  return managers.getStore() ?? dataSource.manager;
}
export function Transactional(): MethodDecorator {
  return (_target, _key, descriptor: PropertyDescriptor) => {
    const original = descriptor.value;
    descriptor.value = async function (this: unknown, ...args: unknown[]) {
      ${
        opener === "dataSource.transaction"
          ? `return dataSource.transaction((manager) => ${bind ? "managers.run(manager, () => original.apply(this, args))" : "original.apply(this, args)"});`
          : `await ${opener};
      return original.apply(this, args);`
      }
    };
    return descriptor;
  };
}`,
});

/** A service whose `debit` is decorated with the project's `@Transactional()`; `repository` is where `accounts` comes from. */
const decoratedService = (repository: string) => `import { Injectable } from "@nestjs/common";
import { InjectRepository } from "@nestjs/typeorm";
import { Repository } from "typeorm";
import { Account } from "./account.entity";
import { Transactional, currentManager } from "./transactional";

@Injectable()
export class AccountsService {
  constructor(@InjectRepository(Account) private readonly repository: Repository<Account>) {}

  @Transactional()
  async debit(id: number, amount: number) {
    const accounts = ${repository};
    const account = await accounts.findOne({ where: { id }, lock: { mode: "pessimistic_write" } });
    if (!account || account.balance < amount) throw new Error("insufficient funds");
    account.balance -= amount;
    await accounts.save(account);
  }
}
`;

/** Another file of the project turns CLS on, as an app's database setup does. */
const CLS_ENABLED = {
  "src/cls.ts": `import { createNamespace } from "cls-hooked";
import { Sequelize } from "sequelize";
Sequelize.useCLS(createNamespace("shop"));`,
};

/** A Sequelize callback that takes the handle and passes it to the write only. */
const HANDLE_NOT_PASSED = sequelizeModule(`export async function book(id: number) {
  await sequelize.transaction(async (t) => {
    const seat = await Seat.findByPk(id, { lock: Transaction.LOCK.UPDATE });
    if (!seat || seat.left < 1) throw new Error("sold out");
    await seat.update({ left: seat.left - 1 }, { transaction: t });
  });
}`);

const STORE_MODULE = {
  "src/db.ts": `import { AsyncLocalStorage } from "node:async_hooks";
import { Prisma, PrismaClient } from "@prisma/client";
export const prisma = new PrismaClient();
const current = new AsyncLocalStorage<Prisma.TransactionClient>();
export function db() {
  return current.getStore() ?? prisma;
}
export function inTransaction<T>(fn: () => Promise<T>): Promise<T> {
  return prisma.$transaction((tx) => current.run(tx, fn));
}`,
};

/** An Express handler module spending credits inside the project's `inTransaction`; `read` is the locking read. */
const storeHandler = (read: string) => `import { db, inTransaction, prisma } from "./db";

export async function spend(userId: string, cost: number) {
  await inTransaction(async () => {
    ${read}
    if (!row || row.credits < cost) throw new Error("no credits");
    await db().user.update({ where: { id: userId }, data: { credits: row.credits - cost } });
  });
}
`;

const LOCKED_READ = `const account = await this.accounts.findOne({ where: { id }, lock: { mode: "pessimistic_write" } });`;
const CLS_LOCKED_READ =
  'const [row] = await this.txHost.tx.$queryRaw<{ credits: number }[]>`SELECT credits FROM "User" WHERE id = ${userId} FOR UPDATE`;';
const TYPEORM_LOST = (write: string, line: number) => ({ messageId: "lostUpdate", data: { write, column: "`balance`", line } });
const DESPITE_LOCK = (write: string, column: string, line: number, lock: string, why: string) => ({
  messageId: "lostUpdateDespiteLock",
  data: { write, column, line, lock, why },
});
const AUTOCOMMIT = "outside a transaction the lock is released when that statement ends";

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "typeorm-transactional: a @Transactional() method reads the injected repository with pessimistic_write",
      files: ACCOUNT_ENTITY,
      code: typeormService(`  @Transactional()
  async debit(id: number, amount: number) {
    ${LOCKED_READ}
    if (!account || account.balance < amount) throw new Error("insufficient funds");
    account.balance -= amount;
    await this.accounts.save(account);
  }`),
    },
    {
      name: "typeorm-transactional: runInTransaction(fn) with a locked read through dataSource.getRepository",
      files: ACCOUNT_ENTITY,
      code: typeormService(`  async debit(id: number, amount: number) {
    await runInTransaction(async () => {
      const accounts = this.dataSource.getRepository(Account);
      const account = await accounts.findOneOrFail({ where: { id }, lock: { mode: "pessimistic_write" } });
      account.balance -= amount;
      await accounts.save(account);
    });
  }`),
    },
    {
      name: "TypeORM: manager.getRepository(Account) inline inside dataSource.transaction, locked read",
      files: ACCOUNT_ENTITY,
      code: typeormService(`  async debit(id: number, amount: number) {
    await this.dataSource.transaction(async (manager) => {
      const account = await manager.getRepository(Account).findOneOrFail({ where: { id }, lock: { mode: "pessimistic_write" } });
      account.balance -= amount;
      await manager.getRepository(Account).save(account);
    });
  }`),
    },
    {
      name: "@nestjs-cls/transactional: a @Transactional() method locks the row through txHost.tx ($queryRaw FOR UPDATE)",
      code: clsService(`  @Transactional()
  async spend(userId: string, cost: number) {
    ${CLS_LOCKED_READ}
    if (!row || row.credits < cost) throw new Error("no credits");
    await this.txHost.tx.user.update({ where: { id: userId }, data: { credits: row.credits - cost } });
  }`),
    },
    {
      name: "@nestjs-cls/transactional: txHost.withTransaction(fn) locks the row through txHost.tx",
      code: clsService(`  async spend(userId: string, cost: number) {
    await this.txHost.withTransaction(async () => {
      ${CLS_LOCKED_READ}
      if (!row || row.credits < cost) throw new Error("no credits");
      await this.txHost.tx.user.update({ where: { id: userId }, data: { credits: row.credits - cost } });
    });
  }`),
    },
    {
      name: "Sequelize with CLS: a transaction callback without a handle, locked findByPk, then update",
      code: sequelizeModule(`export async function book(id: number) {
  await sequelize.transaction(async () => {
    const seat = await Seat.findByPk(id, { lock: Transaction.LOCK.UPDATE });
    if (!seat || seat.left < 1) throw new Error("sold out");
    await seat.update({ left: seat.left - 1 });
  });
}`),
    },
    {
      name: "TypeORM: a repository's builder update computed by the database (set with a function)",
      files: ACCOUNT_ENTITY,
      code: typeormService(`  async debit(id: number, amount: number) {
    const account = await this.accounts.findOneBy({ id });
    if (!account) throw new Error("not found");
    await this.accounts.createQueryBuilder().update().set({ balance: () => "balance - :amount" }).setParameter("amount", amount).where({ id }).execute();
  }`),
    },
    {
      name: "a project's inTransaction binds the transaction to AsyncLocalStorage; db() reads lock the row",
      files: STORE_MODULE,
      code: storeHandler(
        'const [row] = await db().$queryRaw<{ credits: number }[]>`SELECT credits FROM "User" WHERE id = ${userId} FOR UPDATE`;',
      ),
    },
    {
      name: "a project's own @Transactional() runs the method in dataSource.transaction with the manager in AsyncLocalStorage",
      files: projectDecorator(true),
      code: decoratedService("currentManager().getRepository(Account)"),
    },
    {
      name: "Sequelize with useCLS in another file: the callback takes the handle, the locking read relies on CLS",
      files: CLS_ENABLED,
      code: HANDLE_NOT_PASSED,
    },
  ],
  invalid: [
    {
      name: "Sequelize with useCLS: an unmanaged transaction (await sequelize.transaction()) is not bound by CLS",
      files: CLS_ENABLED,
      code: sequelizeModule(`export async function book(id: number) {
  const t = await sequelize.transaction();
  const seat = await Seat.findByPk(id, { lock: Transaction.LOCK.UPDATE });
  if (!seat || seat.left < 1) throw new Error("sold out");
  await seat.update({ left: seat.left - 1 }, { transaction: t });
  await t.commit();
}`),
      errors: [{ line: 13, column: 9, ...DESPITE_LOCK("`seat.update(…)`", "`left`", 11, "`FOR UPDATE`", AUTOCOMMIT) }],
    },
    {
      name: "a project's own @Transactional() binding the manager: the injected repository does not run through it",
      files: projectDecorator(true),
      code: decoratedService("this.repository"),
      errors: [{ line: 17, column: 11, ...DESPITE_LOCK("`accounts.save(…)`", "`balance`", 14, "`FOR UPDATE`", AUTOCOMMIT) }],
    },
    {
      name: "a project's own @Transactional() that opens a transaction but hands the manager to nobody",
      files: projectDecorator(false),
      code: decoratedService("currentManager().getRepository(Account)"),
      errors: [{ line: 17, column: 11, ...DESPITE_LOCK("`accounts.save(…)`", "`balance`", 14, "`FOR UPDATE`", AUTOCOMMIT) }],
    },
    {
      name: "a project's own @Transactional() that runs the method after its transaction, not inside it",
      files: projectDecorator(true, "dataSource.transaction(async (manager) => managers.run(manager, async () => undefined))"),
      code: decoratedService("currentManager().getRepository(Account)"),
      errors: [{ line: 17, column: 11, ...DESPITE_LOCK("`accounts.save(…)`", "`balance`", 14, "`FOR UPDATE`", AUTOCOMMIT) }],
    },
    {
      name: "a project's inTransaction: the locking read goes through the plain client, outside the stored transaction",
      files: STORE_MODULE,
      code: storeHandler(
        'const [row] = await prisma.$queryRaw<{ credits: number }[]>`SELECT credits FROM "User" WHERE id = ${userId} FOR UPDATE`;',
      ),
      errors: [{ line: 7, column: 11, ...DESPITE_LOCK("`db().user.update(…)`", "`credits`", 5, "`FOR UPDATE`", AUTOCOMMIT) }],
    },
    {
      name: "TypeORM: a repository's builder update (no entity named) writes a value computed from the row",
      files: ACCOUNT_ENTITY,
      code: typeormService(`  async debit(id: number, amount: number) {
    const account = await this.accounts.findOneBy({ id });
    if (!account) throw new Error("not found");
    await this.accounts.createQueryBuilder().update().set({ balance: account.balance - amount }).where({ id }).execute();
  }`),
      errors: [{ line: 18, column: 11, ...TYPEORM_LOST("`this.accounts.createQueryBuilder()…update(…)`", 16) }],
    },
    {
      name: "typeorm-transactional: a @Transactional() method without a lock still loses updates (READ COMMITTED)",
      files: ACCOUNT_ENTITY,
      code: typeormService(`  @Transactional()
  async debit(id: number, amount: number) {
    const account = await this.accounts.findOne({ where: { id } });
    if (!account || account.balance < amount) throw new Error("insufficient funds");
    account.balance -= amount;
    await this.accounts.save(account);
  }`),
      errors: [{ line: 20, column: 11, ...TYPEORM_LOST("`this.accounts.save(…)`", 17) }],
    },
    {
      name: "a project's own @Transactional() is not known to open a transaction: the locked read is reported",
      files: ACCOUNT_ENTITY,
      code: typeormService(
        `  @Transactional()
  async debit(id: number, amount: number) {
    ${LOCKED_READ}
    if (!account || account.balance < amount) throw new Error("insufficient funds");
    account.balance -= amount;
    await this.accounts.save(account);
  }`,
        "./transactional",
      ),
      errors: [
        {
          line: 20,
          column: 11,
          ...DESPITE_LOCK("`this.accounts.save(…)`", "`balance`", 17, "`FOR UPDATE`", AUTOCOMMIT),
        },
      ],
    },
    {
      name: "TypeORM: dataSource.getRepository inside dataSource.transaction runs outside it",
      files: ACCOUNT_ENTITY,
      code: typeormService(`  async debit(id: number, amount: number) {
    await this.dataSource.transaction(async (manager) => {
      const accounts = this.dataSource.getRepository(Account);
      const account = await accounts.findOneOrFail({ where: { id }, lock: { mode: "pessimistic_write" } });
      account.balance -= amount;
      await accounts.save(account);
    });
  }`),
      errors: [
        {
          line: 20,
          column: 13,
          ...DESPITE_LOCK("`accounts.save(…)`", "`balance`", 18, "`FOR UPDATE`", AUTOCOMMIT),
        },
      ],
    },
    {
      name: "@nestjs-cls/transactional: the locking read goes through the plain client, which the transaction does not bind",
      code: clsService(`  @Transactional()
  async spend(userId: string, cost: number) {
    const [row] = await this.prisma.$queryRaw<{ credits: number }[]>\`SELECT credits FROM "User" WHERE id = \${userId} FOR UPDATE\`;
    if (!row || row.credits < cost) throw new Error("no credits");
    await this.txHost.tx.user.update({ where: { id: userId }, data: { credits: row.credits - cost } });
  }`),
      errors: [
        {
          line: 17,
          column: 11,
          ...DESPITE_LOCK("`this.txHost.tx.user.update(…)`", "`credits`", 15, "`FOR UPDATE`", AUTOCOMMIT),
        },
      ],
    },
    {
      name: "@nestjs-cls/transactional: a @Transactional() method without a lock",
      code: clsService(`  @Transactional()
  async spend(userId: string, cost: number) {
    const user = await this.txHost.tx.user.findUnique({ where: { id: userId } });
    if (!user || user.credits < cost) throw new Error("no credits");
    await this.txHost.tx.user.update({ where: { id: userId }, data: { credits: user.credits - cost } });
  }`),
      errors: [
        {
          line: 17,
          column: 11,
          messageId: "lostUpdate",
          data: { write: "`this.txHost.tx.user.update(…)`", column: "`credits`", line: 15 },
        },
      ],
    },
    {
      name: "Sequelize: the callback takes the handle, and the locking read does not pass it",
      code: HANDLE_NOT_PASSED,
      errors: [{ line: 13, column: 11, ...DESPITE_LOCK("`seat.update(…)`", "`left`", 11, "`FOR UPDATE`", AUTOCOMMIT) }],
    },
    {
      name: "Sequelize with CLS: a transaction callback without a handle and without a lock",
      code: sequelizeModule(`export async function book(id: number) {
  await sequelize.transaction(async () => {
    const seat = await Seat.findByPk(id);
    if (!seat || seat.left < 1) throw new Error("sold out");
    await seat.update({ left: seat.left - 1 });
  });
}`),
      errors: [{ line: 13, column: 11, messageId: "lostUpdate", data: { write: "`seat.update(…)`", column: "`left`", line: 11 } }],
    },
  ],
});
