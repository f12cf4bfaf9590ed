// select-then-update across functions: a NestJS service reads a row through a repository class of the project
// (`this.accounts.get(id)`) or writes it through one (`this.accounts.setBalance(id, b)`), in another file. The read
// and the write form one lost update, reported at the write with the chain down to the helper's statement; a helper
// that locks the row on the transaction it is given, an atomic write, a value not taken from the read, a row locked
// by the caller's transaction before the helper reads it, and a new row stay silent.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const REPOSITORY = "src/accounts.repository.ts";

/** The project's Prisma service and a repository class wrapping one Prisma call per method. */
const FILES = {
  "src/prisma.service.ts": `import { Injectable } from "@nestjs/common";
import { PrismaClient } from "@prisma/client";
@Injectable()
export class PrismaService extends PrismaClient {}`,
  [REPOSITORY]: `import { Injectable } from "@nestjs/common";
import { Prisma } from "@prisma/client";
import { PrismaService } from "./prisma.service";

@Injectable()
export class AccountsRepository {
  constructor(private readonly prisma: PrismaService) {}

  get(id: string) {
    return this.prisma.account.findUnique({ where: { id } });
  }

  async getBalance(id: string) {
    const account = await this.prisma.account.findUniqueOrThrow({ where: { id } });
    return account.balance;
  }

  getIn(tx: Prisma.TransactionClient, id: string) {
    return tx.account.findUniqueOrThrow({ where: { id } });
  }

  async getForUpdate(tx: Prisma.TransactionClient, id: string) {
    const [account] = await tx.$queryRaw<{ balance: number }[]>\`SELECT * FROM "Account" WHERE id = \${id} FOR UPDATE\`;
    return account;
  }

  setBalance(id: string, balance: number) {
    return this.prisma.account.update({ where: { id }, data: { balance } });
  }

  update(id: string, data: Prisma.AccountUpdateInput) {
    return this.prisma.account.update({ where: { id }, data });
  }
}`,
};

/** A NestJS service with the Prisma service and the repository injected; `body` is one method. */
const walletService = (body: string) => `import { Injectable, NotFoundException } from "@nestjs/common";
import { AccountsRepository } from "./accounts.repository";
import { PrismaService } from "./prisma.service";

@Injectable()
export class WalletService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly accounts: AccountsRepository,
  ) {}

${body}
}
`;

const LOST = (write: string, line: number) => ({ messageId: "lostUpdate", data: { write, column: "`balance`", line } });

/** A withdrawal in an interactive transaction whose row comes from `read` and whose new balance is computed from it. */
const withdrawInTransaction = (read: string, balance = "account.balance - amount") =>
  walletService(`  async withdraw(id: string, amount: number) {
    await this.prisma.$transaction(async (tx) => {
      const account = await ${read};
      await tx.account.update({ where: { id }, data: { balance: ${balance} } });
    });
  }`);

/** withdrawInTransaction where `read` (helper `helper`, its statement at `helperLine`) leaves the row unlocked. */
const unlockedInTransaction = (name: string, read: string, helperLine: number, helper: string) => ({
  name,
  files: FILES,
  code: withdrawInTransaction(read),
  errors: [
    {
      line: 15,
      column: 13,
      ...LOST("`tx.account.update(…)`", 14),
      related: [{ line: 14 }, { line: helperLine, filename: REPOSITORY, message: `row read here, in \`AccountsRepository.${helper}\`` }],
    },
  ],
  output: withdrawInTransaction(read, "{ decrement: amount }"),
});

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "the helper locks the row FOR UPDATE on the transaction it is given, inside the caller's $transaction",
      files: FILES,
      code: withdrawInTransaction("this.accounts.getForUpdate(tx, id)"),
    },
    {
      name: "the caller's transaction locks the row before the helper reads it through that transaction",
      files: FILES,
      code: walletService(`  async withdraw(id: string, amount: number) {
    await this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw\`SELECT id FROM "Account" WHERE id = \${id} FOR UPDATE\`;
      const account = await this.accounts.getIn(tx, id);
      await tx.account.update({ where: { id }, data: { balance: account.balance - amount } });
    });
  }`),
    },
    {
      name: "the write is atomic (decrement) and does not use the value read through the helper",
      files: FILES,
      code: walletService(`  async withdraw(id: string, amount: number) {
    const account = await this.accounts.get(id);
    if (!account) throw new NotFoundException();
    await this.prisma.account.update({ where: { id }, data: { balance: { decrement: amount } } });
  }`),
    },
    {
      name: "the write wrapper is given an atomic decrement",
      files: FILES,
      code: walletService(`  async withdraw(id: string, amount: number) {
    const account = await this.accounts.get(id);
    if (!account) throw new NotFoundException();
    await this.accounts.update(id, { balance: { decrement: amount } });
  }`),
    },
    {
      name: "the value written through the wrapper comes from the request, not from the row read",
      files: FILES,
      code: walletService(`  async reset(id: string, balance: number) {
    const account = await this.accounts.get(id);
    if (!account) throw new NotFoundException();
    await this.accounts.setBalance(id, balance);
  }`),
    },
    {
      name: "a row read through the helper is copied into a new row (an insert joins no rows read)",
      files: FILES,
      code: walletService(`  async duplicate(id: string) {
    const account = await this.accounts.get(id);
    if (!account) throw new NotFoundException();
    return this.prisma.account.create({ data: { name: account.name + " (copy)", balance: account.balance } });
  }`),
    },
    {
      name: "only a check of the row read through the helper decides the write (a password verified, then replaced)",
      files: FILES,
      code: walletService(`  async changePassword(id: string, current: string, next: string, verify: (a: string, b: string) => boolean) {
    const account = await this.accounts.get(id);
    if (!account || !verify(current, account.password)) throw new NotFoundException();
    await this.accounts.update(id, { password: next });
  }`),
    },
    {
      name: "a value from a Map, not from a project function, decides nothing about the row",
      files: FILES,
      code: walletService(`  private readonly limits = new Map<string, number>();
  async withdraw(id: string, amount: number) {
    const limit = this.limits.get(id) ?? 0;
    await this.prisma.account.update({ where: { id }, data: { balance: limit - amount } });
  }`),
    },
  ],
  invalid: [
    {
      name: "a repository method in another file reads the row; the service writes the value computed from it",
      files: FILES,
      code: walletService(`  async withdraw(id: string, amount: number) {
    const account = await this.accounts.get(id);
    if (!account) throw new NotFoundException();
    await this.prisma.account.update({ where: { id }, data: { balance: account.balance - amount } });
  }`),
      errors: [
        {
          line: 15,
          column: 11,
          ...LOST("`this.prisma.account.update(…)`", 13),
          related: [{ line: 13 }, { line: 10, filename: REPOSITORY, message: "row read here, in `AccountsRepository.get`" }],
        },
      ],
      output: walletService(`  async withdraw(id: string, amount: number) {
    const account = await this.accounts.get(id);
    if (!account) throw new NotFoundException();
    await this.prisma.account.update({ where: { id }, data: { balance: { decrement: amount } } });
  }`),
    },
    {
      name: "a repository method returns the column read; the service writes the sum",
      files: FILES,
      code: walletService(`  async deposit(id: string, amount: number) {
    const balance = await this.accounts.getBalance(id);
    await this.prisma.account.update({ where: { id }, data: { balance: balance + amount } });
  }`),
      errors: [
        {
          line: 14,
          column: 11,
          ...LOST("`this.prisma.account.update(…)`", 13),
          related: [{ line: 13 }, { line: 14, filename: REPOSITORY, message: "row read here, in `AccountsRepository.getBalance`" }],
        },
      ],
      output: walletService(`  async deposit(id: string, amount: number) {
    const balance = await this.accounts.getBalance(id);
    await this.prisma.account.update({ where: { id }, data: { balance: { increment: amount } } });
  }`),
    },
    {
      name: "the service reads the row and writes it through the repository's setBalance",
      files: FILES,
      code: walletService(`  async withdraw(id: string, amount: number) {
    const account = await this.prisma.account.findUniqueOrThrow({ where: { id } });
    await this.accounts.setBalance(id, account.balance - amount);
  }`),
      errors: [
        {
          line: 14,
          column: 11,
          ...LOST("`this.accounts.setBalance(…)`", 13),
          related: [{ line: 13 }, { line: 28, filename: REPOSITORY, message: "row written here, in `AccountsRepository.setBalance`" }],
        },
      ],
    },
    {
      name: "read and write both through the repository, the written object passed whole (data: dto)",
      files: FILES,
      code: walletService(`  async withdraw(id: string, amount: number) {
    const account = await this.accounts.get(id);
    if (!account) throw new NotFoundException();
    await this.accounts.update(id, { balance: account.balance - amount });
  }`),
      errors: [
        {
          line: 15,
          column: 11,
          ...LOST("`this.accounts.update(…)`", 13),
          related: [
            { line: 13 },
            { line: 10, filename: REPOSITORY, message: "row read here, in `AccountsRepository.get`" },
            { line: 32, filename: REPOSITORY, message: "row written here, in `AccountsRepository.update`" },
          ],
        },
      ],
    },
    {
      name: "a function imported under another name returns the row its own helper read (two calls down)",
      files: {
        ...FILES,
        "src/loaders.ts": `import { AccountsRepository } from "./accounts.repository";
export async function loadAccount(accounts: AccountsRepository, id: string) {
  const account = await accounts.get(id);
  return account;
}`,
      },
      code: walletService(`  async withdraw(id: string, amount: number) {
    const account = await load(this.accounts, id);
    if (!account) throw new NotFoundException();
    await this.prisma.account.update({ where: { id }, data: { balance: account.balance - amount } });
  }`).replace(
        'import { PrismaService } from "./prisma.service";',
        'import { loadAccount as load } from "./loaders";\nimport { PrismaService } from "./prisma.service";',
      ),
      errors: [
        {
          line: 16,
          column: 11,
          ...LOST("`this.prisma.account.update(…)`", 14),
          related: [
            { line: 14 },
            { line: 3, filename: "src/loaders.ts", message: "through `loadAccount`" },
            { line: 10, filename: REPOSITORY, message: "row read here, in `AccountsRepository.get`" },
          ],
        },
      ],
      output: walletService(`  async withdraw(id: string, amount: number) {
    const account = await load(this.accounts, id);
    if (!account) throw new NotFoundException();
    await this.prisma.account.update({ where: { id }, data: { balance: { decrement: amount } } });
  }`).replace(
        'import { PrismaService } from "./prisma.service";',
        'import { loadAccount as load } from "./loaders";\nimport { PrismaService } from "./prisma.service";',
      ),
    },
    unlockedInTransaction(
      "the helper's row lock is taken on the service's client, not on the transaction that writes: released at once",
      "this.accounts.getForUpdate(this.prisma, id)",
      23,
      "getForUpdate",
    ),
    unlockedInTransaction(
      "the helper reads through the transaction, but nothing locks the row",
      "this.accounts.getIn(tx, id)",
      19,
      "getIn",
    ),
  ],
});
