// Session 25's held-out precision check (issue #15). The FALSE shapes fixed, each a valid case written freshly:
// - a method of the application's own repository class named like the ORM's (`this.crateRepository.update(id, {
//   updateData, entity })`) taken for TypeORM's `update(criteria, data)`, so the entity passed along for events read
//   as a column written from the row: the call is the project's method, and what it writes is what its body writes;
// - Drizzle on SQLite in a project that also has a PostgreSQL side (an indexer with both storages): a file importing
//   only SQLite's dialect runs on SQLite, whose transactions are serializable and which has no row locks, so a read
//   and write in one transaction loses nothing and rows written in the caller's order cannot deadlock;
// - a busy key tested, then a Redis try-lock of the same item awaited (the function leaves when it is not taken), then
//   the key marked: of two callers that pass the test, only one gets the try-lock, so the await opens no gap;
// - a `finally` that unmarks the busy key (`this.working.delete(id)`, a Set) before the lock's release: a Set's
//   methods cannot throw, so the release always runs.
// Beside each, the nearest real bug stays reported.
import { inconsistentLockOrder } from "../../rules/inconsistent-lock-order";
import { lockReleaseNotGuaranteed } from "../../rules/lock-release-not-guaranteed";
import { selectThenUpdate } from "../../rules/select-then-update";
import { uncheckedLockAcquisition } from "../../rules/unchecked-lock-acquisition";
import { runRuleTests } from "../helpers/rule-tester";

const CRATE = `import { Column, Entity, PrimaryColumn } from "typeorm";
@Entity()
export class Crate {
  @PrimaryColumn() id!: string;
  @Column() label!: string;
  @Column() weight!: number;
  @Column() stage!: string;
}
`;

/** The application's repository: `update` reads the row unless given it, and writes in a transaction of its own. */
const CRATE_REPOSITORY = `import { DataSource, FindOneOptions, Repository } from "typeorm";
import { Crate } from "./crate.entity";
export class CrateRepository {
  private readonly repository: Repository<Crate>;
  constructor(private readonly dataSource: DataSource) {
    this.repository = dataSource.getRepository(Crate);
  }
  findOne(options: FindOneOptions<Crate>): Promise<Crate | null> {
    return this.repository.findOne(options);
  }
  async update(id: string, params: { updateData: Partial<Crate>; entity?: Crate }): Promise<Crate> {
    const { updateData, entity } = params;
    const crate = entity ?? (await this.repository.findOneBy({ id }));
    if (!crate) throw new Error("no crate");
    const before = { ...crate };
    await this.dataSource.transaction(async (manager) => {
      const result = await manager.update(Crate, { id, stage: before.stage }, updateData);
      if (!result.affected) throw new Error("conflict");
    });
    return Object.assign(crate, updateData);
  }
}
`;

/** A thin repository of the application: `update` passes its arguments to TypeORM's. */
const THIN_REPOSITORY = `import { DataSource, FindOneOptions, Repository } from "typeorm";
import { Crate } from "./crate.entity";
export class CrateRepository {
  private readonly repository: Repository<Crate>;
  constructor(dataSource: DataSource) {
    this.repository = dataSource.getRepository(Crate);
  }
  findOne(options: FindOneOptions<Crate>): Promise<Crate | null> {
    return this.repository.findOne(options);
  }
  update(id: string, data: Partial<Crate>) {
    return this.repository.update(id, data);
  }
}
`;

const service = (body: string) => `import { In } from "typeorm";
import { CrateRepository } from "./crate.repository";
export const OPEN_STAGES = In(["packing", "sealed"]);
export class CrateService {
  constructor(private readonly crateRepository: CrateRepository) {}
${body}
}
`;

/** A tally table in Drizzle's `core` dialect, a hit counted in a transaction, and a reset of many rows in one. */
const tallies = (core: "sqlite" | "pg") => {
  const [table, db] = core === "sqlite" ? ["sqliteTable", 'BaseSQLiteDatabase<"sync", void>'] : ["pgTable", "NodePgDatabase"];
  const imports =
    core === "sqlite"
      ? `import { BaseSQLiteDatabase, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";`
      : `import { integer, pgTable, text } from "drizzle-orm/pg-core";\nimport type { NodePgDatabase } from "drizzle-orm/node-postgres";`;
  return `import { eq } from "drizzle-orm";
${imports}
const tally = ${table}("tally", { id: text("id").primaryKey(), hits: integer("hits").notNull() });
export async function countHit(db: ${db}, id: string) {
  await db.transaction(async (tx) => {
    const [row] = await tx.select().from(tally).where(eq(tally.id, id)).limit(1);
    if (!row) return;
    await tx.update(tally).set({ hits: row.hits + 1 }).where(eq(tally.id, id));
  });
}
export async function resetAll(db: ${db}, ids: string[]) {
  await db.transaction(async (tx) => {
    for (const id of ids) {
      await tx.update(tally).set({ hits: 0 }).where(eq(tally.id, id));
    }
  });
}
`;
};
/** The project's other storage: a table of the other dialect, declared in a file of its own. */
const BOTH = (core: "sqlite" | "pg"): Record<string, string> =>
  core === "sqlite"
    ? {
        "src/pg-schema.ts": `import { pgTable, text } from "drizzle-orm/pg-core";\nexport const cursor = pgTable("cursor", { id: text("id").primaryKey() });\n`,
      }
    : {
        "src/sqlite-schema.ts": `import { sqliteTable, text } from "drizzle-orm/sqlite-core";\nexport const cursor = sqliteTable("cursor", { id: text("id").primaryKey() });\n`,
      };

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "Drizzle on SQLite beside a PostgreSQL storage: a counter read and written in one transaction",
      code: tallies("sqlite"),
      filename: "src/sqlite-store.ts",
      files: BOTH("sqlite"),
    },
    {
      name: "the application's repository method update(id, { updateData, entity }): the request's label, the row passed for events",
      code: service(`  async relabel(id: string, label: string) {
    const crate = await this.crateRepository.findOne({ where: { id } });
    if (!crate) throw new Error("no crate");
    const updateData: { label: string } = { label };
    return this.crateRepository.update(id, { updateData, entity: crate });
  }`),
      filename: "src/crate.service.ts",
      files: { "src/crate.entity.ts": CRATE, "src/crate.repository.ts": CRATE_REPOSITORY },
    },
  ],
  invalid: [
    {
      // PostgreSQL's READ COMMITTED lets two transactions read the same count.
      name: "Drizzle on PostgreSQL beside a SQLite storage: the same counter",
      code: tallies("pg"),
      filename: "src/pg-store.ts",
      files: BOTH("pg"),
      errors: [
        {
          line: 9,
          column: 11,
          message:
            "`tx.update(tally).set({hits:row.hits+1}).where(…)` writes a value computed from `hits` read at line 7 without a row lock: two concurrent calls both read the same value, both write their result, and one update is lost.",
        },
      ],
    },
    {
      // The thin repository's update is TypeORM's with the caller's arguments: the weight read, plus one, written back.
      name: "a thin application repository whose update passes its arguments to TypeORM's: a weight read and written plus one",
      code: service(`  async addItem(id: string) {
    const crate = await this.crateRepository.findOne({ where: { id } });
    if (!crate) throw new Error("no crate");
    await this.crateRepository.update(id, { weight: crate.weight + 1 });
  }`),
      filename: "src/crate.service.ts",
      files: { "src/crate.entity.ts": CRATE, "src/crate.repository.ts": THIN_REPOSITORY },
      errors: [
        {
          line: 9,
          column: 11,
          message:
            "`this.crateRepository.update(…)` writes a value computed from `weight` read at line 7 without a row lock: two concurrent calls both read the same value, both write their result, and one update is lost.",
        },
      ],
    },
  ],
});

runRuleTests(inconsistentLockOrder, {
  valid: [
    {
      name: "Drizzle on SQLite beside a PostgreSQL storage: rows written in the caller's order in one transaction",
      code: tallies("sqlite"),
      filename: "src/sqlite-store.ts",
      files: BOTH("sqlite"),
    },
  ],
  invalid: [
    {
      // PostgreSQL locks each row written until the transaction ends.
      name: "Drizzle on PostgreSQL beside a SQLite storage: the same rows in the caller's order",
      code: tallies("pg"),
      filename: "src/pg-store.ts",
      files: BOTH("pg"),
      // The safe fix sorts the keys.
      output: tallies("pg").replace("for (const id of ids)", "for (const id of [...ids].sort())"),
      errors: [
        {
          line: 15,
          column: 13,
          message:
            "`resetAll` takes `tally` rows for each of `ids` one after the other, keeping each, in the order its caller listed them, so two calls with overlapping keys listed in different orders can each hold one key and wait for a key the other holds until the database detects the deadlock and aborts one of them with an error.",
        },
      ],
    },
  ],
});

/** A sweep over pending disks: each disk skipped while this process works on it, and taken under a Redis lease. */
const diskSweep = (between: string, unmark = "this.working.delete(diskId);") => `import Redis from "ioredis";
const redis = new Redis();
declare function audit(diskId: string): Promise<void>;
declare function provision(diskId: string): Promise<void>;
declare function pendingDisks(): Promise<string[]>;
export class DiskSweeper {
  private readonly working = new Set<string>();
  async sweep() {
    for (const diskId of await pendingDisks()) {
      if (this.working.has(diskId)) continue;
      ${between}
      this.working.add(diskId);
      try {
        await provision(diskId);
      } finally {
        ${unmark}
        await redis.del(\`disk:\${diskId}\`);
      }
    }
  }
}
`;

runRuleTests(uncheckedLockAcquisition, {
  valid: [
    {
      name: "a busy key tested, the item's Redis try-lock awaited and checked, then the key marked",
      code: diskSweep(`const taken = await redis.set(\`disk:\${diskId}\`, "1", "EX", 30, "NX");
      if (!taken) continue;`),
    },
  ],
  invalid: [
    {
      // Any other await lets a second caller past the test before the mark.
      name: "a busy key tested, a lookup awaited, then the key marked",
      code: diskSweep(`if (!(await redis.exists(\`disk:\${diskId}:ready\`))) continue;`),
      errors: [
        {
          line: 10,
          column: 11,
          message:
            "The busy key `diskId` of `this.working` is tested here but marked only after the await at line 11: a second caller finds the key free while the first waits, and both run the critical section.",
          related: [{ line: 11, message: "awaited between the test and the mark" }],
        },
      ],
    },
  ],
});

const TAKEN = `const taken = await redis.set(\`disk:\${diskId}\`, "1", "EX", 30, "NX");
      if (!taken) continue;`;

runRuleTests(lockReleaseNotGuaranteed, {
  valid: [{ name: "a finally that deletes the busy key from its Set, then releases the lock", code: diskSweep(TAKEN) }],
  invalid: [
    {
      // An awaited call before the release in the finally can throw and skip it.
      name: "a finally that awaits an audit call, then releases the lock",
      code: diskSweep(TAKEN, "await audit(diskId);"),
      errors: [
        {
          line: 11,
          column: 27,
          message:
            "Redis lock `disk:${diskId}` is released at line 18 only if nothing goes wrong: if `await provision(diskId)` at line 15 throws, the release is skipped and the lock stays held until it expires, and meanwhile every other attempt to take it fails.",
          related: [{ line: 18, message: "released here, but not on every path" }],
        },
      ],
    },
  ],
});
