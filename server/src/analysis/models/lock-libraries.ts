// What each lock library's API means, as data ("models as data"): which exports create or type a lock object, and
// which method names acquire, try, run a callback under the lock or release it. `lock-objects.ts` and `locks.ts`
// read these tables and hold no library names, so supporting another library is an entry here, not new code.
// Redis SET NX and the SQL lock functions are protocols recognised by their arguments and SQL text, not here.

/** The library or protocol behind a lock. */
export type LockMechanism =
  | "mutex" // async-mutex Mutex / runtime Mutex (in-process, non-reentrant)
  | "semaphore" // async-mutex Semaphore / runtime Semaphore
  | "rwlock" // runtime RWLock
  | "keyed-lock" // runtime LockManager, async-lock
  | "redis-set-nx" // SET key value NX [PX ms], SETNX
  | "redlock" // node-redlock
  | "redis-semaphore" // redis-semaphore Mutex/Semaphore
  | "lease" // runtime Redis/PostgreSQL/MySQL lock providers
  | "pg-advisory" // pg_advisory_lock and friends
  | "mysql-named" // GET_LOCK
  | "lock-table" // a row inserted into a SQL lock table (lock-tables.ts), deleted on release
  | "busy-key"; // a Set/Map of keys in progress: `if (busy.has(k)) return; busy.add(k)` … `busy.delete(k)`

/**
 * An export that makes or names a lock object. `export: "*"` is any export of the module (a default or namespace
 * import included). `new`: `new X()`; `factory`: `X()`; `type`: an annotation `: X`; `wrapper`: `X(lock, ...)` is the
 * lock passed at `arg` (async-mutex's `withTimeout(new Mutex(), ms)`).
 */
export type LockObjectModel =
  { export: string; via: "new" | "factory" | "type"; mechanism: LockMechanism } | { export: string; via: "wrapper"; arg: number };

/**
 * A method of a library's lock objects. `acquire` waits; `try-acquire` may fail and says so in its result;
 * `run-under-lock` runs its last function argument while held; `release` gives a handle or the lock back.
 */
export interface LockMethodModel {
  name: string;
  effect: "acquire" | "try-acquire" | "run-under-lock" | "release";
  /** Only on the library's objects of these mechanisms; on all of them when absent. */
  on?: readonly LockMechanism[];
  /** An options-object property that, when `true`, makes an `acquire` a try (the runtime's `{ ifAvailable: true }`). */
  tryOption?: string;
}

/**
 * A function imported from the module and called bare, by this name: `run-under-lock` runs its last function argument
 * under a lock; `acquire` waits for the lock and returns the function that releases it (simple-redis-mutex's
 * `lock(client, key, options)`).
 */
export interface LockFunctionModel {
  name: string;
  effect: "run-under-lock" | "acquire";
  mechanism: LockMechanism;
  /** The argument naming the lock, where it is not the mechanism's `keyArg` (after the client it is given). */
  keyArg?: number;
}

export interface LockLibraryModel {
  /** The library's name, unique in the table: "async-mutex", "runtime", "redlock", "redis-semaphore", "async-lock". */
  library: string;
  /** The import specifier: a string matches exactly. */
  module: string | RegExp;
  objects: readonly LockObjectModel[];
  /** The first entry with the name (and a matching `on`) decides. */
  methods: readonly LockMethodModel[];
  functions?: readonly LockFunctionModel[];
  /** Exports the library throws (or rejects with) when a lock is busy, timed out or lost: what a retry loop catches. */
  failureSignals?: readonly string[];
}

/** Facts of a mechanism, whatever library provides it. */
export interface LockMechanismModel {
  /** The argument naming the lock on every acquisition (a keyed lock's key, redlock's resources, a lease's key). */
  keyArg?: number;
  /** The argument of the lock object's constructor naming the lock when its methods take none (redis-semaphore's `new Mutex(client, key)`). */
  constructorKeyArg?: number;
  /** Held locks expire by themselves (a TTL). */
  expires?: boolean;
  /** An acquire given a callback runs it under the lock, keyed by `keyArg` (async-lock's `acquire(key, fn)`). */
  callbackAcquireRunsUnderLock?: boolean;
  /** Held by this process's memory, queued first come first served: requests issued in one synchronous pass keep their order. */
  inProcess?: boolean;
}

export const LOCK_MECHANISMS: Readonly<Partial<Record<LockMechanism, LockMechanismModel>>> = {
  mutex: { inProcess: true },
  semaphore: { inProcess: true },
  rwlock: { inProcess: true },
  "keyed-lock": { keyArg: 0, callbackAcquireRunsUnderLock: true, inProcess: true },
  redlock: { keyArg: 0, expires: true },
  lease: { keyArg: 0, expires: true },
  "redis-semaphore": { constructorKeyArg: 1, expires: true },
  // Callers skip (or fail) on a busy key instead of waiting: nothing queues behind it.
  "busy-key": { inProcess: true },
};

export const RUNTIME_MODULE = /(^@locksmith\/runtime(\/.*)?$)|(locksmith-runtime(\.ts|\.js)?$)/;

// Every library's objects are taken to answer these names (a `.tryAcquire()` waits unless the library says it tries):
// the evidence is the object's origin, not the method.
const COMMON_METHODS: readonly LockMethodModel[] = [
  { name: "acquire", effect: "acquire", tryOption: "ifAvailable" },
  { name: "tryAcquire", effect: "acquire", tryOption: "ifAvailable" },
  { name: "acquireRead", effect: "acquire", tryOption: "ifAvailable" },
  { name: "acquireWrite", effect: "acquire", tryOption: "ifAvailable" },
];
// Names of the keyed-lock API: async-lock shares the runtime LockManager's, as the recogniser always has.
const KEYED_SCOPED: readonly LockMethodModel[] = ["run", "lock", "lockAll", "withLock"].map((name) => ({
  name,
  effect: "run-under-lock" as const,
  on: ["keyed-lock"] as const,
}));

export const LOCK_LIBRARY_MODELS: readonly LockLibraryModel[] = [
  {
    library: "async-mutex",
    module: "async-mutex",
    objects: [
      { export: "Mutex", via: "new", mechanism: "mutex" },
      { export: "Semaphore", via: "new", mechanism: "semaphore" },
      { export: "Mutex", via: "type", mechanism: "mutex" },
      { export: "MutexInterface", via: "type", mechanism: "mutex" },
      { export: "Semaphore", via: "type", mechanism: "semaphore" },
      { export: "SemaphoreInterface", via: "type", mechanism: "semaphore" },
      { export: "withTimeout", via: "wrapper", arg: 0 },
      { export: "tryAcquire", via: "wrapper", arg: 0 },
    ],
    methods: [
      ...COMMON_METHODS,
      { name: "runExclusive", effect: "run-under-lock" },
      { name: "run", effect: "run-under-lock" }, // the runtime's name, shared by mechanism
      { name: "release", effect: "release" },
    ],
    failureSignals: ["E_ALREADY_LOCKED", "E_TIMEOUT"],
  },
  {
    library: "runtime",
    module: RUNTIME_MODULE,
    objects: [
      ...(["new", "type"] as const).flatMap((via) => [
        { export: "Mutex", via, mechanism: "mutex" as const },
        { export: "Semaphore", via, mechanism: "semaphore" as const },
        { export: "RWLock", via, mechanism: "rwlock" as const },
        { export: "LockManager", via, mechanism: "keyed-lock" as const },
      ]),
      { export: "LockProvider", via: "type", mechanism: "lease" },
      { export: "RedisLockProvider", via: "type", mechanism: "lease" },
      { export: "createRedisLockProvider", via: "factory", mechanism: "lease" },
      { export: "createPgLockProvider", via: "factory", mechanism: "lease" },
      { export: "createMySqlLockProvider", via: "factory", mechanism: "lease" },
    ],
    methods: [
      { name: "tryAcquire", effect: "try-acquire" },
      ...COMMON_METHODS,
      { name: "read", effect: "acquire", on: ["rwlock"], tryOption: "ifAvailable" },
      { name: "write", effect: "acquire", on: ["rwlock"], tryOption: "ifAvailable" },
      { name: "runExclusive", effect: "run-under-lock", on: ["mutex", "semaphore"] },
      { name: "run", effect: "run-under-lock", on: ["mutex", "semaphore", "keyed-lock"] },
      { name: "runRead", effect: "run-under-lock", on: ["rwlock"] },
      { name: "runWrite", effect: "run-under-lock", on: ["rwlock"] },
      ...KEYED_SCOPED,
      { name: "withLease", effect: "run-under-lock", on: ["lease"] },
      { name: "withLock", effect: "run-under-lock", on: ["lease"] },
      { name: "release", effect: "release" },
      { name: "unlock", effect: "release" },
      { name: "releaseLock", effect: "release" },
    ],
    functions: [{ name: "lockAll", effect: "run-under-lock", mechanism: "keyed-lock" }],
  },
  {
    library: "redlock",
    module: "redlock",
    objects: [
      { export: "*", via: "new", mechanism: "redlock" },
      { export: "*", via: "type", mechanism: "redlock" },
    ],
    methods: [
      ...COMMON_METHODS,
      // Redlock v4 and earlier: `redlock.lock(resources, ttl)` acquires, and the lock it returns is given back by
      // `lock.unlock()` (v5 renamed them `acquire` and `release`).
      { name: "lock", effect: "acquire" },
      { name: "using", effect: "run-under-lock" },
      { name: "release", effect: "release" },
      { name: "unlock", effect: "release" },
    ],
    failureSignals: ["ExecutionError", "ResourceLockedError", "LockError"],
  },
  {
    library: "redis-semaphore",
    module: "redis-semaphore",
    objects: [
      { export: "*", via: "new", mechanism: "redis-semaphore" },
      { export: "*", via: "type", mechanism: "redis-semaphore" },
    ],
    methods: [{ name: "tryAcquire", effect: "try-acquire" }, ...COMMON_METHODS, { name: "release", effect: "release" }],
    failureSignals: ["TimeoutError", "LostLockError"],
  },
  {
    // `const unlock = await lock(redis, key, { timeoutMillis, failAfterMillis })`: a Redis lease (SET NX PX) it polls
    // for, failing by throwing once `failAfterMillis` passes; `unlock()` gives it back.
    library: "simple-redis-mutex",
    module: "simple-redis-mutex",
    objects: [],
    methods: [],
    functions: [{ name: "lock", effect: "acquire", mechanism: "lease", keyArg: 1 }],
  },
  {
    library: "async-lock",
    module: "async-lock",
    objects: [{ export: "*", via: "new", mechanism: "keyed-lock" }],
    methods: [...COMMON_METHODS, ...KEYED_SCOPED],
  },
];

/** Whether an import specifier is the model's module. */
export function isModelModule(model: LockLibraryModel, module: string): boolean {
  return typeof model.module === "string" ? model.module === module : model.module.test(module);
}

/** The first object entry of `models` for this module, export name and form. */
export function lockObjectModel(
  models: readonly LockLibraryModel[],
  module: string,
  exportName: string,
  via: LockObjectModel["via"],
): { model: LockLibraryModel; object: LockObjectModel } | undefined {
  for (const model of models) {
    if (!isModelModule(model, module)) continue;
    const object = model.objects.find((o) => o.via === via && (o.export === "*" || o.export === exportName));
    if (object) return { model, object };
  }
  return undefined;
}

/** The method entry a library's object of `mechanism` has for `name`. */
export function lockMethodModel(
  models: readonly LockLibraryModel[],
  library: string,
  mechanism: LockMechanism,
  name: string,
): LockMethodModel | undefined {
  for (const model of models) {
    if (model.library !== library) continue;
    const method = model.methods.find((m) => m.name === name && (!m.on || m.on.includes(mechanism)));
    if (method) return method;
  }
  return undefined;
}

interface ModelNames {
  acquiring: ReadonlySet<string>;
  releasing: ReadonlySet<string>;
  functions: ReadonlySet<string>;
}
const namesCache = new WeakMap<readonly LockLibraryModel[], ModelNames>();

/**
 * The method names any model acquires with and releases with, and its bare function names: a quick test on a call's
 * name before anything resolves the receiver or the import.
 */
export function lockMethodNames(models: readonly LockLibraryModel[]): ModelNames {
  let names = namesCache.get(models);
  if (!names) {
    const methods = models.flatMap((m) => m.methods);
    names = {
      acquiring: new Set(methods.filter((m) => m.effect !== "release").map((m) => m.name)),
      releasing: new Set(methods.filter((m) => m.effect === "release").map((m) => m.name)),
      functions: new Set(models.flatMap((m) => m.functions ?? []).map((f) => f.name)),
    };
    namesCache.set(models, names);
  }
  return names;
}
