import { createHash, randomUUID } from "node:crypto";
import { StaleFenceError } from "./errors.js";
import { DeadlineQueue, LeaseCore, Timed, acquireLeases, defaultMarginMs, driftMs, pollForLease, runWithLeases, type Lease } from "./lease.js";
import type { Lockable, WaitOptions } from "./types.js";

export type { Lease } from "./lease.js";

/**
 * What the Redis adapter needs from a client: `EVAL` with ioredis' argument order, and optionally `EVALSHA` and the
 * `"close"` event. ioredis clients satisfy it as they are; wrap a node-redis v4+ client with `fromNodeRedis(client)`.
 */
export interface RedisEvalClient {
  eval(script: string, numKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>;
  /** Run a script by its SHA1, so its text is sent once per server rather than with every call. */
  evalsha?(sha1: string, numKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>;
  /** `"close"`: the connection closed. Leases granted through this client then count as lost at once. */
  on?(event: "close", listener: () => void): unknown;
}

type NodeRedisOptions = { keys: string[]; arguments: string[] };

/** Adapt a node-redis (v4+) client: `createRedisLockProvider(fromNodeRedis(client))`. */
export function fromNodeRedis(client: {
  eval(script: string, options: NodeRedisOptions): Promise<unknown>;
  evalSha?(sha1: string, options: NodeRedisOptions): Promise<unknown>;
}): RedisEvalClient {
  const options = (numKeys: number, args: (string | number)[]) => ({ keys: args.slice(0, numKeys).map(String), arguments: args.slice(numKeys).map(String) });
  const adapted: RedisEvalClient = { eval: (script, numKeys, ...args) => client.eval(script, options(numKeys, args)) };
  if (client.evalSha) adapted.evalsha = (sha1, numKeys, ...args) => client.evalSha!(sha1, options(numKeys, args));
  return adapted;
}

/** A Lua script and its SHA1. */
interface Script {
  readonly text: string;
  readonly sha1: string;
}

function script(text: string): Script {
  return { text, sha1: createHash("sha1").update(text).digest("hex") };
}

/** `EVALSHA` where the client has it, falling back to `EVAL` (which loads the script) when the server lacks it. */
function runScript(client: RedisEvalClient, s: Script, numKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown> {
  if (!client.evalsha) return client.eval(s.text, numKeys, ...keysAndArgs);
  return client.evalsha(s.sha1, numKeys, ...keysAndArgs).catch((error: unknown) => {
    if (!isNoScript(error)) throw error;
    return client.eval(s.text, numKeys, ...keysAndArgs);
  });
}

/** The server does not have the script (restarted, or `SCRIPT FLUSH`): send its text with `EVAL`. */
const isNoScript = (error: unknown): boolean => /NOSCRIPT/.test(String((error as Error | null)?.message));

// Fences are compared as decimal strings (length first) because Lua numbers are doubles.
const LUA_GREATER = "local function greater(a, b) if #a ~= #b then return #a > #b end return a > b end\n";

/**
 * SET NX PX and, only on success, the next fence: the never-expiring counter plus one, but at least the server's
 * clock in microseconds. The counter alone would restart from 0 when Redis loses it (a restart without persistence,
 * a failover to a lagging replica), handing out fences lower than ones already stored next to fenced data; the clock
 * floor keeps new fences above every earlier one as long as the Redis host's clock does not step back, since no key
 * is granted more than once per microsecond. The fence is an integer reply while it is exact as a Lua (and
 * JavaScript) number, below 2^53, which a client reads more cheaply than a string; above it, a decimal string.
 * KEYS: lock, fence. ARGV: token, ttl.
 */
const ACQUIRE = script(`${LUA_GREATER}if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
local now = redis.call('TIME')
local fence = now[1] .. string.format('%06d', tonumber(now[2]))
if greater(fence, redis.call('GET', KEYS[2]) or '0') then
  redis.call('SET', KEYS[2], fence)
else
  redis.call('INCR', KEYS[2])
  fence = redis.call('GET', KEYS[2])
end
if greater('9007199254740992', fence) then return tonumber(fence) end
return fence`);

/** A reply of `ACQUIRE` that grants the key: the fence, as a number or a decimal string. */
const isGrant = (reply: unknown): reply is number | string => typeof reply === "number" || typeof reply === "string";

/** Extend only while we still own the key. KEYS: lock. ARGV: token, ttl. */
const EXTEND = script(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`);

/** Compare-and-delete. KEYS: lock. ARGV: token. */
const RELEASE = script(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

/** Redlock: lift this node's counter to the fence chosen across the quorum. KEYS: lock, fence. ARGV: token, fence. */
const RAISE_FENCE = script(`${LUA_GREATER}if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local current = redis.call('GET', KEYS[2]) or '0'
if greater(ARGV[2], current) then redis.call('SET', KEYS[2], ARGV[2]) end
return 1`);

/** Store value and fence together unless a newer fence was already stored. KEYS: data. ARGV: value, fence. */
const FENCED_SET = script(`${LUA_GREATER}local current = redis.call('HGET', KEYS[1], 'fence')
if current and greater(current, ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'value', ARGV[1], 'fence', ARGV[2])
return 1`);

const FENCED_GET = script("return redis.call('HMGET', KEYS[1], 'value', 'fence')");

/**
 * Watch a client's connection: when it closes (Redis restarted, or unreachable), the leases it granted count as lost at
 * once instead of at their next renewal, since after a restart the key may be gone and another holder may get it. One
 * `"close"` listener per client, however many providers share it; it finds the leases among the live ones.
 */
const watchedClients = new WeakSet<RedisEvalClient>();

function watchClose(client: RedisEvalClient): void {
  if (!client.on || watchedClients.has(client)) return;
  watchedClients.add(client);
  client.on("close", () => {
    for (const lease of LeaseCore.live()) if (lease instanceof RedisLease) lease.nodeClosed(client);
  });
}

export interface RedisLockProviderOptions {
  /** Prefix of the lock and fence keys (default `"locksmith:lock:"`). */
  prefix?: string | undefined;
  /** Default lease time to live (default 10 000 ms). */
  ttlMs?: number | undefined;
  /** Renew automatically every `ttlMs / 3` while held (default true). */
  autoRenew?: boolean | undefined;
  /** How long before the local deadline the lease's signal aborts (default 10% of the TTL). */
  safetyMarginMs?: number | undefined;
  /** Polling backoff while waiting for a held key (default 10 ms growing to 200 ms, jittered). */
  retryDelayMs?: { initialDelayMs: number; maxDelayMs: number } | undefined;
}

export interface RedisAcquireOptions extends WaitOptions {
  ttlMs?: number | undefined;
  autoRenew?: boolean | undefined;
}

export interface RedisLockProvider {
  /** Wait for the lease on `key` (polling), within `timeoutMs`/`signal`. */
  acquire(key: string, options?: RedisAcquireOptions): Promise<Lease>;
  /** One attempt: the lease, or `null` if the key is held. */
  tryAcquire(key: string, options?: Omit<RedisAcquireOptions, "signal" | "timeoutMs" | "ifAvailable">): Promise<Lease | null>;
  /** Run `fn` holding the lease; `signal` aborts if the lease is lost. Several keys are taken in sorted order. */
  withLease<T>(key: string, fn: (lease: Lease, signal: AbortSignal) => T | PromiseLike<T>, options?: RedisAcquireOptions): Promise<T>;
  withLease<T>(keys: readonly string[], fn: (leases: Lease[], signal: AbortSignal) => T | PromiseLike<T>, options?: RedisAcquireOptions): Promise<T>;
  /** A view for `lockAll`, ordered by `redis:<key>`. */
  lockable(key: string, options?: Omit<RedisAcquireOptions, keyof WaitOptions>): Lockable;
}

/**
 * Leases on Redis. With one client: `SET NX PX` with a random token, compare-and-delete release, token-checked
 * renewal, and a fence from a per-key counter that never expires. With several independent clients: Redlock, a lease
 * counts only when a majority granted it within its validity, and fences are lifted to the quorum's maximum on a
 * majority so they stay strictly increasing.
 *
 * Redis is an efficiency lock unless every protected write checks `lease.fence` (see `fencedSet`): a paused holder
 * can outlive its lease. The fence counters must not be evicted (use `noeviction` or a `volatile-*` policy).
 */
export function createRedisLockProvider(clientOrClients: RedisEvalClient | readonly RedisEvalClient[], options: RedisLockProviderOptions = {}): RedisLockProvider {
  const clients: readonly RedisEvalClient[] = Array.isArray(clientOrClients) ? clientOrClients : [clientOrClients as RedisEvalClient];
  if (clients.length === 0) throw new RangeError("createRedisLockProvider needs at least one client");
  const quorum = Math.floor(clients.length / 2) + 1;
  const prefix = options.prefix ?? "locksmith:lock:";
  const pollDelay = options.retryDelayMs ?? { initialDelayMs: 10, maxDelayMs: 200 };
  // The hash tag keeps a lock and its fence counter in one Redis Cluster slot.
  // Tokens: a random prefix (88 bits) and a counter, unique without a call into the CSPRNG per attempt. The counter
  // stays a small integer with 10 decimal digits, so the token is 32 characters and cheap to build (converting a
  // larger number to a string cost more than the rest of an acquisition's own code); after 10^9 tokens the prefix
  // is drawn again.
  let tokenPrefix = "";
  let tokens = TOKENS_END;

  const nodes: Nodes = { clients, quorum };
  for (const client of clients) watchClose(client);

  /**
   * One acquisition attempt on every node: the lease, or `null` unless a quorum granted it with validity left. With
   * one client, `refused` (if given) is called instead of settling with `null`.
   */
  function attempt(key: string, ttlMs: number, autoRenew: boolean, budgetMs: number | undefined, refused?: () => Promise<Lease>): Promise<Lease | null> {
    const lockKey = `${prefix}{${key}}`;
    if (++tokens >= TOKENS_END) [tokenPrefix, tokens] = [randomUUID().replace(/-/g, "").slice(0, 22), 1e9];
    const token = tokenPrefix + tokens;
    const marginMs = options.safetyMarginMs ?? defaultMarginMs(ttlMs);
    const startedAt = performance.now();
    const validUntil = startedAt + ttlMs - driftMs(ttlMs);
    // Replies later than the lease could be valid (or than the caller will wait) count as refusals.
    const dueAt = startedAt + Math.max(1, Math.min(validUntil - marginMs - startedAt, budgetMs ?? Infinity));
    const renewEveryMs = autoRenew ? Math.max(1, Math.floor(ttlMs / 3)) : undefined;
    const a = new Attempt(nodes, key, lockKey, token, ttlMs, validUntil, marginMs, renewEveryMs, startedAt);
    if (clients.length === 1) return new Promise((resolve) => a.sendToOne(dueAt, resolve, refused));
    const attempted = severalAttempt(a, dueAt);
    return refused ? attempted.then((lease) => lease ?? refused()) : attempted;
  }

  const ttlOf = (o: { ttlMs?: number | undefined }) => {
    const ttlMs = Math.floor(o.ttlMs ?? options.ttlMs ?? 10_000); // PX takes whole milliseconds
    if (!(ttlMs > 0) || !Number.isSafeInteger(ttlMs)) throw new RangeError(`ttlMs must be a positive number of milliseconds, got ${o.ttlMs ?? options.ttlMs}`);
    return ttlMs;
  };
  const autoRenewOf = (o: { autoRenew?: boolean | undefined }) => o.autoRenew ?? options.autoRenew ?? true;

  const acquire = (key: string, o: RedisAcquireOptions = NO_OPTIONS): Promise<Lease> => {
    const ttlMs = ttlOf(o);
    const autoRenew = autoRenewOf(o);
    // Without a signal or timeout the first attempt needs none of the polling loop's bookkeeping.
    if (o.signal === undefined && o.timeoutMs === undefined) return attempt(key, ttlMs, autoRenew, undefined, () => poll(key, ttlMs, autoRenew, o, 1)) as Promise<Lease>;
    return poll(key, ttlMs, autoRenew, o, 0);
  };
  const poll = (key: string, ttlMs: number, autoRenew: boolean, o: RedisAcquireOptions, tried: number) =>
    pollForLease((remaining) => attempt(key, ttlMs, autoRenew, remaining), () => `Redis lock ${JSON.stringify(key)}`, o, pollDelay, tried);

  return {
    acquire,
    tryAcquire(key, o = {}) {
      return attempt(key, ttlOf(o), autoRenewOf(o), undefined);
    },
    withLease<T>(keyOrKeys: string | readonly string[], fn: (lease: any, signal: AbortSignal) => T | PromiseLike<T>, o: RedisAcquireOptions = {}): Promise<T> {
      const single = typeof keyOrKeys === "string";
      const keys = single ? [keyOrKeys] : keyOrKeys;
      return acquireLeases(keys, (key) => acquire(key, o)).then((leases) => runWithLeases(leases, single, fn, o.signal));
    },
    lockable(key, o = {}) {
      return { lockKey: `redis:${key}`, acquire: (w?: WaitOptions) => acquire(key, { ...o, ...w }) };
    },
  };
}

/**
 * An acquisition attempt: what it would grant (the lease's fields but its fence) and, on a single client, its request,
 * settled from the reply's own callbacks: no promise besides the client's and the caller's. A reply after the deadline
 * counts as a refusal. A grant that is not handed out (late, or too little validity left) and a request whose outcome
 * is unknown (it failed) are undone once the request has settled, so the compare-and-delete cannot overtake an
 * acquisition retried as `EVAL` after `NOSCRIPT`.
 */
class Attempt extends Timed {
  #resolve: ((lease: Lease | null | Promise<Lease>) => void) | undefined = undefined;
  #refused: (() => Promise<Lease>) | undefined = undefined;
  #loaded = false; // retried as EVAL after NOSCRIPT

  constructor(
    readonly nodes: Nodes,
    readonly key: string,
    readonly lockKey: string,
    readonly token: string,
    readonly ttlMs: number,
    readonly validUntil: number,
    readonly marginMs: number,
    readonly renewEveryMs: number | undefined,
    readonly startedAt: number,
  ) {
    super();
  }

  /** Whether enough of the lease's validity is left to hand it out. */
  valid(): boolean {
    return this.validUntil - this.marginMs - performance.now() > 0;
  }

  /** The lease granted by `granted` (a quorum) with `fence`. */
  lease(granted: readonly RedisEvalClient[], fence: bigint): RedisLease {
    return new RedisLease(this.nodes, granted, this.key, this.lockKey, this.token, fence, this.ttlMs, this.validUntil, this.marginMs, this.renewEveryMs, this.startedAt);
  }

  /** Send the attempt to the single client; `resolve` gets the lease, or `refused()` (or `null`) if it was refused. */
  sendToOne(dueAt: number, resolve: (lease: Lease | null | Promise<Lease>) => void, refused: (() => Promise<Lease>) | undefined): void {
    this.#resolve = resolve;
    this.#refused = refused;
    requestDeadlines.add(this, dueAt, this.startedAt);
    this.#send(false);
  }

  #send(asEval: boolean): void {
    const client = this.nodes.clients[0]!;
    const fenceKey = `${this.lockKey}:fence`;
    const sent = asEval || !client.evalsha ? client.eval(ACQUIRE.text, 2, this.lockKey, fenceKey, this.token, this.ttlMs) : client.evalsha(ACQUIRE.sha1, 2, this.lockKey, fenceKey, this.token, this.ttlMs);
    sent.then(
      (reply) => this.#settled(reply),
      (error: unknown) => {
        if (!this.#loaded && isNoScript(error)) {
          this.#loaded = true;
          return this.#send(true);
        }
        this.#settled(REFUSED);
      },
    );
  }

  #settled(reply: unknown): void {
    const resolve = this.#resolve;
    const lease = resolve !== undefined && isGrant(reply) && this.valid() ? this.lease(this.nodes.clients, BigInt(reply)) : null;
    if (lease === null && reply !== null) dropOn(this.nodes.clients, this.lockKey, this.token);
    if (resolve === undefined) return;
    this.#resolve = undefined;
    requestDeadlines.remove(this);
    resolve(lease ?? (this.#refused ? this.#refused() : null));
  }

  /** The deadline passed before the reply: refused, and undone when the reply comes. */
  due(): void {
    const resolve = this.#resolve;
    if (resolve === undefined) return;
    this.#resolve = undefined;
    resolve(this.#refused ? this.#refused() : null);
  }
}

/** An acquisition attempt on several clients (Redlock): a quorum must grant it, and its fence is lifted on a quorum. */
async function severalAttempt(grant: Attempt, dueAt: number): Promise<Lease | null> {
  const { nodes, lockKey, token, ttlMs, validUntil, marginMs, startedAt } = grant;
  const { clients, quorum } = nodes;
  const fenceKey = `${lockKey}:fence`;
  const requests = clients.map((c) => runScript(c, ACQUIRE, 2, lockKey, fenceKey, token, ttlMs));
  const replies = await within(requests, dueAt, startedAt);
  const granted = clients.filter((_, i) => isGrant(replies[i]));
  let fence = 0n;
  for (const reply of replies) if (isGrant(reply) && BigInt(reply) > fence) fence = BigInt(reply);
  let ok = granted.length >= quorum && grant.valid();
  if (ok) {
    const now = performance.now();
    const raised = await within(
      granted.map((c) => runScript(c, RAISE_FENCE, 2, lockKey, fenceKey, token, fence.toString())),
      Math.max(now + 1, validUntil - marginMs),
      now,
    );
    ok = raised.filter((r) => Number(r) === 1).length >= quorum && grant.valid();
  }
  if (!ok) {
    // Also undo grants whose replies arrive late: the token makes this safe against later holders. Only once every
    // request has settled, so the release cannot overtake an acquisition that is retried as EVAL after NOSCRIPT.
    const drop = () => dropOn(clients, lockKey, token);
    void Promise.allSettled(requests).then(drop, drop);
    return null;
  }
  return grant.lease(granted, fence);
}

const NO_OPTIONS: RedisAcquireOptions = Object.freeze({});

/** The token counter runs from 10^9 up to this bound, then the provider draws a new token prefix. */
const TOKENS_END = 2e9;

/** The nodes of one provider and how many of them make a quorum. */
interface Nodes {
  readonly clients: readonly RedisEvalClient[];
  readonly quorum: number;
}

/** Compare-and-delete on every node, ignoring failures. */
function dropOn(clients: readonly RedisEvalClient[], lockKey: string, token: string): Promise<void> {
  return clients.length === 1 ? dropOne(clients[0]!, lockKey, token) : Promise.allSettled(clients.map((c) => runScript(c, RELEASE, 1, lockKey, token))).then(ignore);
}

/** Compare-and-delete on one node, ignoring failures: `runScript` with the `NOSCRIPT` retry in the same handler. */
function dropOne(client: RedisEvalClient, lockKey: string, token: string): Promise<void> {
  if (!client.evalsha) return client.eval(RELEASE.text, 1, lockKey, token).then(ignore, ignore);
  return client.evalsha(RELEASE.sha1, 1, lockKey, token).then(ignore, (error: unknown) => (isNoScript(error) ? client.eval(RELEASE.text, 1, lockKey, token).then(ignore, ignore) : undefined));
}

/**
 * Write `value` to the hash at `key` together with `fence`, unless the hash already holds a newer fence: then throw
 * `StaleFenceError`, because a later lease holder has written and this holder's lease is stale. Read it back with
 * `fencedGet`. With several clients the write must be accepted by every one of them.
 */
export async function fencedSet(client: RedisEvalClient | readonly RedisEvalClient[], key: string, value: string, fence: bigint): Promise<void> {
  const clients = Array.isArray(client) ? client : [client as RedisEvalClient];
  const results = await Promise.all(clients.map((c) => runScript(c, FENCED_SET, 1, key, value, fence.toString())));
  if (results.some((r) => Number(r) !== 1)) {
    throw new StaleFenceError(`Rejected a write to ${JSON.stringify(key)} with fence ${fence}: a newer lease holder has written it`);
  }
}

/** Read what `fencedSet` stored: `{ value, fence }`, or `null` if nothing was written. */
export async function fencedGet(client: RedisEvalClient, key: string): Promise<{ value: string; fence: bigint } | null> {
  const reply = await runScript(client, FENCED_GET, 1, key);
  const [value, fence] = Array.isArray(reply) ? reply : [];
  return typeof value === "string" && typeof fence === "string" ? { value, fence: BigInt(fence) } : null;
}

const ignore = (): undefined => undefined;

/** A lease granted by a quorum of `nodes` (`granted`: the ones that granted it). */
class RedisLease extends LeaseCore implements Lease {
  readonly key: string;
  readonly token: string;
  readonly fence: bigint;
  readonly #nodes: Nodes;
  readonly #granted: readonly RedisEvalClient[];
  readonly #lockKey: string;
  #closed = 0; // granting nodes whose connection closed

  constructor(nodes: Nodes, granted: readonly RedisEvalClient[], key: string, lockKey: string, token: string, fence: bigint, ttlMs: number, validUntil: number, marginMs: number, renewEveryMs: number | undefined, grantedAt: number) {
    super(key, fence, ttlMs, validUntil, marginMs, renewEveryMs, grantedAt);
    this.key = key;
    this.token = token;
    this.fence = fence;
    this.#nodes = nodes;
    this.#granted = granted;
    this.#lockKey = lockKey;
  }

  /** `client`'s connection closed: the lease is lost once fewer than a quorum of the granting nodes stay connected. */
  nodeClosed(client: RedisEvalClient): void {
    if (this.#granted.includes(client) && this.#granted.length - ++this.#closed < this.#nodes.quorum) this.lose("the connection to Redis closed (a restart may have lost the key)");
  }

  protected async renewOnBackend(ttlMs: number): Promise<boolean> {
    const ms = Math.max(1, Math.floor(ttlMs));
    const now = performance.now();
    const replies = await within(this.#nodes.clients.map((c) => runScript(c, EXTEND, 1, this.#lockKey, this.token, ms)), now + ttlMs, now);
    return replies.filter((r) => Number(r) === 1).length >= this.#nodes.quorum;
  }

  protected dropOnBackend(): Promise<void> {
    return dropOn(this.#nodes.clients, this.#lockKey, this.token);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}

/** Deadlines of the requests in flight to Redis, for every provider and client: one timer for all of them. */
const requestDeadlines = new DeadlineQueue();

/** What `within` reports for a request that failed or did not answer in time. */
const REFUSED: unknown = Symbol("refused");

/** The replies to requests sent together, settled at once when the last arrives or when the deadline passes. */
class Replies extends Timed {
  readonly values: unknown[];
  #pending: number;
  #resolve: ((values: unknown[]) => void) | undefined;

  constructor(count: number, resolve: (values: unknown[]) => void) {
    super();
    this.values = new Array<unknown>(count).fill(REFUSED);
    this.#pending = count;
    this.#resolve = resolve;
  }

  /** The reply to request `i`. */
  answer(value: unknown, i: number): void {
    if (this.#resolve === undefined) return;
    this.values[i] = value;
    if (--this.#pending === 0) this.due();
  }

  /** The deadline passed (or every reply arrived): settle with what has been answered; later replies are ignored. */
  due(): void {
    const resolve = this.#resolve;
    if (resolve === undefined) return;
    this.#resolve = undefined;
    requestDeadlines.remove(this);
    resolve(this.values);
  }
}

/**
 * Each promise's value, or `REFUSED` if it rejected or had not settled by `dueAt` (a `performance.now()` time; `now` is
 * a recent one). An acquisition never waits past its timeout or its lease's validity, even when Redis does not answer.
 */
function within(promises: readonly Promise<unknown>[], dueAt: number, now: number): Promise<unknown[]> {
  return new Promise((resolve) => {
    const replies = new Replies(promises.length, resolve);
    if (promises.length === 0) return replies.due();
    requestDeadlines.add(replies, dueAt, now);
    for (let i = 0; i < promises.length; i++) {
      promises[i]!.then(
        (value) => replies.answer(value, i),
        () => replies.answer(REFUSED, i),
      );
    }
  });
}
