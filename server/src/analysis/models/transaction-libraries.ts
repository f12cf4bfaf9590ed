// What each database library's transaction API means, as data ("models as data", like lock-libraries.ts): which
// calls open a transaction (and how: around a callback, over an array of statements, or on a handle until COMMIT),
// which argument is the callback and which of its parameters the handle, where the isolation level is asked for,
// which methods end it, and which types name an open transaction. `transactions.ts` and `transaction-wrappers.ts`
// read these tables and hold no library names, so supporting another library is an entry here, not new code.
// BEGIN/COMMIT/ROLLBACK in SQL text (pg, mysql2, better-sqlite3) is a protocol recognised by db/ from the statement.

import { RUNTIME_MODULE } from "./lock-libraries";

/** Where the isolation level is written at the opening call. */
export type IsolationSource =
  /** The argument at `arg` (a level such as `"SERIALIZABLE"`), or its property at `path` (`{ isolationLevel }`). */
  | { arg: number; path?: string }
  /** The argument at `arg` of a call chained before the opener: Kysely's `transaction().setIsolationLevel(l).execute(fn)`. */
  | { chained: string; arg: number };

/** A call that opens a transaction. Matched by the callee's name: a method (with a receiver) or a bare function. */
export interface TransactionOpenerModel {
  /** The method name (`knex.transaction`, `prisma.$transaction`); called on any receiver. */
  method?: string;
  /** A function called bare by this name; when it is imported, only from the library's module. */
  function?: string;
  /**
   * `callback`: runs its callback argument inside the transaction, then commits (or rolls back when it throws);
   * `batch`: runs the statements of the array at `arrayArg` in one transaction;
   * `begin`: opens a transaction on its receiver (`conn.beginTransaction()`), open until an `ends` method or SQL
   * COMMIT/ROLLBACK on the same handle;
   * `returns-handle`: returns an open transaction (`const t = await sequelize.transaction()`), ended the same way.
   */
  form: "callback" | "batch" | "begin" | "returns-handle";
  /** For `callback`: the argument positions the callback may be at (the first that holds a function is it). */
  callbackArgs?: readonly number[];
  /** For `callback`: the callback's parameter that is the transaction handle. */
  handleParam?: number;
  /** For `batch`: the array argument. */
  arrayArg?: number;
  /** For `callback` openers reached through a chain: the call the chain must go through (`transaction` for Kysely's `execute`). */
  through?: string;
  /** Where the isolation level may be given; the first that says wins. */
  isolation?: readonly IsolationSource[];
  /** The opener retries serialization failures and deadlocks itself, unless this option is `false`. */
  retriesUnless?: { arg: number; path: string };
  /** The opener always runs its callback again on a transient error (a write conflict), with no option to stop it. */
  retries?: boolean;
  /** For `callback`: when the callback declares no handle parameter, statements join through the receiver (the session). */
  receiverIsHandle?: boolean;
  /** For a method opener: the declared type its receiver must have (`TransactionHost` for `txHost.withTransaction(fn)`). */
  receiverType?: string;
  /** For a method opener of a common name: only in a file importing one of these modules (a project's own `withTransaction` is not MongoDB's). */
  fileImports?: RegExp;
}

/**
 * Which statements join a transaction kept in async-local storage (CLS) without being handed a handle: every statement
 * of an ORM the library patches (typeorm-transactional's repositories and managers, Sequelize's models), or those run
 * through the `property` of a field declared with type `hostType` (`this.txHost.tx.account.update(…)`).
 */
export type ManagedJoin = { library: string } | { hostType: string; property: string };

/** A method decorator that runs the method in a managed transaction (`@Transactional()`). */
export interface TransactionDecoratorModel {
  name: string;
  /** Where the decorator call says the isolation level; the first that says wins. */
  isolation?: readonly IsolationSource[];
}

export interface TransactionLibraryModel {
  /** The library's name, unique in the table. */
  library: string;
  /** The import specifier a bare `function` opener must come from when it is imported. */
  module?: string | RegExp;
  opens: readonly TransactionOpenerModel[];
  /** Methods on the transaction handle that end it (commit or roll back). */
  ends?: readonly string[];
  /**
   * Type names (the last name of a reference: `Knex.Transaction`) whose values are an open transaction: a required
   * parameter of such a type runs in the caller's transaction.
   */
  handleTypes?: readonly string[];
  /**
   * A managed (CLS-bound) transaction library: its openers (imported from `module`) and decorators run code in a
   * transaction that the statements `joins` describes take part in without passing a handle.
   */
  managed?: { joins: ManagedJoin; decorators?: readonly TransactionDecoratorModel[] };
  /**
   * For a library whose callback opener binds the transaction to async-local storage once CLS is enabled
   * (`Sequelize.useCLS(ns)`): a callback that declares no handle parameter only works that way, so its statements of
   * this library join.
   */
  clsWithoutHandle?: ManagedJoin;
  /**
   * Its transactions read a snapshot and fail a write to a document another transaction changed since (MongoDB's
   * WriteConflict, a transient error): a read and a write of one document inside one cannot lose an update.
   */
  writeConflictsAbort?: boolean;
}

const OPTION_LEVEL = "isolationLevel";

export const TRANSACTION_LIBRARY_MODELS: readonly TransactionLibraryModel[] = [
  {
    library: "runtime",
    module: RUNTIME_MODULE,
    opens: ["withPgTransaction", "withMySqlTransaction"].map((name) => ({
      function: name,
      form: "callback" as const,
      callbackArgs: [1],
      handleParam: 0,
      isolation: [{ arg: 2, path: "isolation" }],
      retriesUnless: { arg: 2, path: "retry" },
    })),
  },
  {
    library: "knex",
    opens: [
      { method: "transaction", form: "callback", callbackArgs: [0], handleParam: 0, isolation: [{ arg: 1, path: OPTION_LEVEL }] },
      { method: "transaction", form: "returns-handle", isolation: [{ arg: 0, path: OPTION_LEVEL }] },
    ],
    ends: ["commit", "rollback"],
    handleTypes: ["Transaction"],
  },
  {
    // Objection's `Model.transaction(fn)` is the `transaction` method above; its `transaction(Model.knex(), fn)` a function.
    library: "objection",
    module: "objection",
    opens: [{ function: "transaction", form: "callback", callbackArgs: [1], handleParam: 0 }],
  },
  {
    library: "sequelize",
    opens: [
      { method: "transaction", form: "callback", callbackArgs: [0, 1], handleParam: 0, isolation: [{ arg: 0, path: OPTION_LEVEL }] },
      { method: "transaction", form: "returns-handle", isolation: [{ arg: 0, path: OPTION_LEVEL }] },
    ],
    ends: ["commit", "rollback"],
    handleTypes: ["Transaction"],
    clsWithoutHandle: { library: "sequelize" },
  },
  {
    library: "typeorm",
    opens: [
      // dataSource.transaction(fn) / transaction("SERIALIZABLE", fn)
      { method: "transaction", form: "callback", callbackArgs: [0, 1], handleParam: 0, isolation: [{ arg: 0 }] },
      { method: "startTransaction", form: "begin", isolation: [{ arg: 0 }] },
    ],
    ends: ["commitTransaction", "rollbackTransaction"],
    // A locking read through them throws outside a transaction, so one that takes a lock runs inside one.
    handleTypes: ["EntityManager", "QueryRunner"],
  },
  {
    library: "prisma",
    opens: [
      { method: "$transaction", form: "batch", arrayArg: 0, isolation: [{ arg: 1, path: OPTION_LEVEL }] },
      { method: "$transaction", form: "callback", callbackArgs: [0], handleParam: 0, isolation: [{ arg: 1, path: OPTION_LEVEL }] },
    ],
    handleTypes: ["TransactionClient"],
  },
  {
    library: "drizzle",
    opens: [{ method: "transaction", form: "callback", callbackArgs: [0], handleParam: 0, isolation: [{ arg: 1, path: OPTION_LEVEL }] }],
    // `tx: PgTransaction<…>`: the type of the callback's handle, written out by a helper the transaction is passed to;
    // each driver's subclass (`drizzle-orm/mysql2`'s `MySql2Transaction`) where a helper names its driver's.
    handleTypes: [
      "PgTransaction",
      "MySqlTransaction",
      "NodePgTransaction",
      "PostgresJsTransaction",
      "NeonTransaction",
      "VercelPgTransaction",
      "PgliteTransaction",
      "AwsDataApiTransaction",
      "MySql2Transaction",
      "PlanetscaleTransaction",
    ],
  },
  {
    library: "kysely",
    opens: [
      {
        method: "execute",
        through: "transaction",
        form: "callback",
        callbackArgs: [0],
        handleParam: 0,
        isolation: [{ chained: "setIsolationLevel", arg: 0 }],
      },
    ],
    handleTypes: ["Transaction"],
  },
  {
    // `em.transactional(cb)` and `@Transactional()` bind the transaction's fork to async-local storage (TransactionContext):
    // every entity manager and repository call inside runs in it.
    library: "mikro-orm",
    module: /^@mikro-orm\//,
    opens: [{ method: "transactional", form: "callback", callbackArgs: [0], handleParam: 0, isolation: [{ arg: 1, path: OPTION_LEVEL }] }],
    managed: { joins: { library: "mikro-orm" }, decorators: [{ name: "Transactional", isolation: [{ arg: 0, path: OPTION_LEVEL }] }] },
  },
  {
    // `@Transactional({ isolationLevel })`, `runInTransaction(fn, opts)`, `wrapInTransaction(fn, opts)`: every
    // repository and entity manager of the registered data sources runs in the transaction (the library patches them).
    library: "typeorm-transactional",
    module: /^typeorm-transactional(-cls-hooked)?$/,
    opens: ["runInTransaction", "wrapInTransaction"].map((name) => ({
      function: name,
      form: "callback" as const,
      callbackArgs: [0],
      isolation: [{ arg: 1, path: OPTION_LEVEL }],
    })),
    managed: { joins: { library: "typeorm" }, decorators: [{ name: "Transactional", isolation: [{ arg: 0, path: OPTION_LEVEL }] }] },
  },
  {
    // @nestjs-cls/transactional: `@Transactional()`, `@Transactional(options)`, `@Transactional(connection, options)`,
    // `txHost.withTransaction([propagation,] [options,] fn)`; only statements through `txHost.tx` join (no patching).
    library: "@nestjs-cls/transactional",
    module: "@nestjs-cls/transactional",
    opens: [
      {
        method: "withTransaction",
        receiverType: "TransactionHost",
        form: "callback",
        callbackArgs: [0, 1, 2],
        isolation: [
          { arg: 0, path: OPTION_LEVEL },
          { arg: 1, path: OPTION_LEVEL },
        ],
      },
    ],
    managed: {
      joins: { hostType: "TransactionHost", property: "tx" },
      decorators: [
        {
          name: "Transactional",
          isolation: [
            { arg: 0, path: OPTION_LEVEL },
            { arg: 1, path: OPTION_LEVEL },
          ],
        },
      ],
    },
  },
  {
    // sequelize-transactional: `@Transactional()` on top of `Sequelize.useCLS`.
    library: "sequelize-transactional",
    module: "sequelize-transactional",
    opens: [],
    managed: { joins: { library: "sequelize" }, decorators: [{ name: "Transactional", isolation: [{ arg: 0, path: OPTION_LEVEL }] }] },
  },
  {
    // postgres.js: `sql.begin(async (sql) => …)`, `sql.begin("isolation level serializable", async (sql) => …)`.
    library: "postgres",
    module: "postgres",
    opens: [{ method: "begin", form: "callback", callbackArgs: [0, 1], handleParam: 0 }],
  },
  {
    // The MongoDB driver's `session.withTransaction(fn[, options])` (Mongoose's sessions are the driver's): statements
    // join by being given the session (`{ session }`), which the callback also receives; the driver runs the
    // callback again on a transient error such as a write conflict. Mongoose's `connection.transaction(fn)` is the
    // `transaction` callback form of the entries above.
    library: "mongodb",
    opens: [
      {
        method: "withTransaction",
        fileImports: /^(mongodb|mongoose|@nestjs\/mongoose|@typegoose\/typegoose)$/,
        form: "callback",
        callbackArgs: [0],
        handleParam: 0,
        receiverIsHandle: true,
        retries: true,
      },
    ],
    writeConflictsAbort: true,
  },
  {
    library: "mysql2",
    opens: [{ method: "beginTransaction", form: "begin", isolation: [{ arg: 0 }] }],
    ends: ["commit", "rollback"],
  },
];

export interface TransactionOpener {
  library: TransactionLibraryModel;
  opener: TransactionOpenerModel;
}

export interface TransactionDecorator {
  library: TransactionLibraryModel;
  decorator: TransactionDecoratorModel;
}

interface ModelIndex {
  byName: Map<string, TransactionOpener[]>;
  decorators: Map<string, TransactionDecorator[]>;
  ends: ReadonlySet<string>;
  handleTypes: ReadonlySet<string>;
}
const indexCache = new WeakMap<readonly TransactionLibraryModel[], ModelIndex>();

function indexOf(models: readonly TransactionLibraryModel[]): ModelIndex {
  let index = indexCache.get(models);
  if (!index) {
    const byName = new Map<string, TransactionOpener[]>();
    const decorators = new Map<string, TransactionDecorator[]>();
    for (const library of models) {
      for (const opener of library.opens) {
        const name = opener.method ?? opener.function!;
        byName.set(name, [...(byName.get(name) ?? []), { library, opener }]);
      }
      for (const decorator of library.managed?.decorators ?? [])
        decorators.set(decorator.name, [...(decorators.get(decorator.name) ?? []), { library, decorator }]);
    }
    index = {
      byName,
      decorators,
      ends: new Set(models.flatMap((m) => m.ends ?? [])),
      handleTypes: new Set(models.flatMap((m) => m.handleTypes ?? [])),
    };
    indexCache.set(models, index);
  }
  return index;
}

/** The opener entries named `name` (method or function), in table order. */
export function transactionOpenersNamed(name: string, models = TRANSACTION_LIBRARY_MODELS): readonly TransactionOpener[] {
  return indexOf(models).byName.get(name) ?? [];
}

/** The managed-transaction decorator entries named `name` (`Transactional`), in table order. */
export function transactionDecoratorsNamed(name: string, models = TRANSACTION_LIBRARY_MODELS): readonly TransactionDecorator[] {
  return indexOf(models).decorators.get(name) ?? [];
}

/** Whether `name` is a method some library ends a transaction with (`commit`, `rollbackTransaction`). */
export function endsTransactionMethod(name: string, models = TRANSACTION_LIBRARY_MODELS): boolean {
  return indexOf(models).ends.has(name);
}

/** Whether a type named `name` (its last name) is an open transaction in some library. */
export function isTransactionHandleTypeName(name: string, models = TRANSACTION_LIBRARY_MODELS): boolean {
  return indexOf(models).handleTypes.has(name);
}
