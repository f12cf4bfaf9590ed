// Redis: GET / HGET of a key are reads, SET / HSET plain writes of its value, INCRBY and friends atomic writes. The
// key text is the "table" (a hash field's: `key#field`). HGETALL reads every field of a hash. SET with NX / XX is a
// lock or a conditional write (see locks.ts), not a plain overwrite. node-redis v4 spells the hash commands in camel
// case (`hGet`, `hSet`, `hIncrBy`, `hGetAll`).
import { ts } from "../../engine/ts";
import { calleeName, importsOf, receiverOf, skipParens, stringValue } from "../ast";
import { nodesOfKinds } from "../node-index";
import type { DbAccess } from "./access";
import { chainOf, fieldDeclarations } from "./shapes";

/** HGETALL: a read of every field of a hash. */
const HASH_READ_ALL = ["hgetall", "HGETALL", "hGetAll"];
const REDIS_READS = new Set(["get", "GET", "hget", "HGET", "hGet", ...HASH_READ_ALL]);
const REDIS_WRITES = new Set([
  "set",
  "SET",
  "hset",
  "HSET",
  "hSet",
  "incr",
  "INCR",
  "incrby",
  "INCRBY",
  "decr",
  "DECR",
  "decrby",
  "DECRBY",
  "hincrby",
  "HINCRBY",
  "hIncrBy",
  "incrbyfloat",
  "INCRBYFLOAT",
  "setex",
  "SETEX",
  "setEx",
  "psetex",
  "PSETEX",
  "pSetEx",
]);

/** SETEX / PSETEX (node-redis `setEx`): SET with an expiry, the value third (`setEx(key, seconds, value)`). */
const SET_WITH_EXPIRY = /^p?setex$/i;

export function redisAccess(call: ts.CallExpression, name: string): DbAccess | undefined {
  if (!REDIS_READS.has(name) && !REDIS_WRITES.has(name)) return undefined;
  const receiver = receiverOf(call);
  if (!receiver || !isRedisClient(receiver)) return undefined;
  const access = keyAccess(call, name, receiver, REDIS_READS.has(name) ? "read" : "write");
  if (!access) return undefined;
  if (HASH_READ_ALL.includes(name)) access.hashFields = true;
  const lower = name.toLowerCase();
  const isHash = lower.startsWith("h");
  if (access.kind === "write") {
    if (lower === "set" || lower === "hset") {
      // SET with NX/XX or GET options is a lock or a conditional write, not a plain overwrite.
      if (
        call.arguments
          .slice(2)
          .some(
            (a) =>
              /^(NX|XX)$/i.test(stringValue(a) ?? "") || (ts.isObjectLiteralExpression(a) && /\b(NX|XX|condition)\b/i.test(a.getText())),
          )
      )
        return undefined;
      const value = call.arguments[isHash ? 2 : 1];
      access.assignments.push({ column: "value", ...(value ? { value } : {}), atomic: false });
    } else if (SET_WITH_EXPIRY.test(name)) {
      const value = call.arguments[2];
      access.assignments.push({ column: "value", ...(value ? { value } : {}), atomic: false });
    } else access.assignments.push({ column: "value", atomic: true });
  }
  return access;
}

/**
 * The commands of `client.multi().get(key).ttl(key).exec()` (or `.pipeline()`), in the order of the values `exec()`
 * answers with, when `expr` awaits that `exec()` of a Redis client's MULTI or pipeline; undefined otherwise.
 */
export function commandsQueuedTogether(expr: ts.Expression): readonly ts.CallExpression[] | undefined {
  let node = skipParens(expr);
  while (ts.isAsExpression(node) || ts.isNonNullExpression(node) || ts.isAwaitExpression(node)) node = skipParens(node.expression);
  if (!ts.isCallExpression(node)) return undefined;
  const { root, links } = chainOf(node);
  const opened = links.findIndex(opensBatch);
  if (opened < 0 || links[links.length - 1]?.name !== "exec" || !isRedisClient(rootClient(root, links, opened))) return undefined;
  const queued = links.slice(opened + 1, -1);
  return queued.every((l) => l.call) ? queued.map((l) => l.call!) : undefined;
}

/**
 * A GET / HGET queued in a MULTI or pipeline (`commandsQueuedTogether`): a read of its key, whose value is the element
 * of `exec()`'s answer at its place. The other queued commands are left to the rules that know them.
 */
export function queuedRedisRead(call: ts.CallExpression): DbAccess | undefined {
  const name = calleeName(call);
  if (!name || !REDIS_READS.has(name)) return undefined;
  const { root, links } = chainOf(call);
  const opened = links.findIndex(opensBatch);
  if (opened < 0) return undefined;
  const client = rootClient(root, links, opened);
  if (links[links.length - 1]?.name === "exec" || !isRedisClient(client)) return undefined;
  return keyAccess(call, name, client, "read");
}

/** A command's access of its key on the client `handle`: the key text is the "table" (`HGET key field`: both). */
function keyAccess(call: ts.CallExpression, name: string, handle: ts.Expression, kind: "read" | "write"): DbAccess | undefined {
  const keyArg = call.arguments[0];
  if (!keyArg) return undefined;
  const isHash = name.toLowerCase().startsWith("h");
  const key = keyArg.getText() + (isHash && call.arguments[1] ? `#${call.arguments[1].getText()}` : "");
  return { node: call, library: "redis", kind, table: `redis:${key.replace(/\s+/g, "")}`, handle, assignments: [], conditions: [] };
}

/** `.multi()` / `.pipeline()`: the link that starts queueing commands for one `exec()`. */
function opensBatch(link: { name: string }): boolean {
  return link.name === "multi" || link.name === "pipeline" || link.name === "MULTI";
}

/** The client a MULTI is opened on: `client` of `client.multi()`, `this.redis` of `this.redis.multi()`. */
function rootClient(root: ts.Expression, links: ReturnType<typeof chainOf>["links"], opened: number): ts.Expression {
  const multi = links[opened]?.call;
  const receiver = multi && receiverOf(multi);
  return receiver ?? root;
}

/** Modules that export Redis clients: the drivers, Upstash and Vercel KV, and a project's own `lib/redis`. */
const REDIS_MODULE = /(^|\/)(ioredis|redis|@upstash\/redis|@vercel\/kv)$|redis|(^|\/)kv$/i;

/** Names a client of a Redis module usually goes by, in a file that imports one. */
const CLIENT_NAME = /^(client|cache|kv)$/i;

/**
 * `redis`, `this.redis` by name; a client imported from a Redis module under any name (`import { kv } from
 * "@vercel/kv"`, `import { cache } from "@/lib/redis"`); `client` / `cache` / `kv` in a file importing a Redis module;
 * a class field made by or typed with a Redis module's export (`private client = new Redis()`, `client:
 * RedisClientType`), or named as above and not made by anything else (a wrapper class's `this.cache`).
 */
export function isRedisClient(receiver: ts.Expression): boolean {
  const node = skipParens(receiver);
  const text = node.getText();
  if (isInMemoryCollection(node)) return false;
  if (/redis/i.test(text)) return true;
  const imports = importsOf(receiver.getSourceFile());
  const importsRedis = () => [...imports.values()].some((i) => REDIS_MODULE.test(i.module));
  if (ts.isPropertyAccessExpression(node) && node.expression.kind === ts.SyntaxKind.ThisKeyword)
    return fieldDeclarations(node, node.name.text).some((field) => {
      const made = field.initializer && madeBy(field.initializer);
      const typed = field.type && ts.isTypeReferenceNode(field.type) ? leftmost(field.type.typeName) : undefined;
      const from = (name: string | undefined) => name !== undefined && REDIS_MODULE.test(imports.get(name)?.module ?? "");
      if (from(made) || from(typed)) return true;
      return made === undefined && CLIENT_NAME.test(node.name.text) && importsRedis();
    });
  if (!ts.isIdentifier(node)) return false;
  const imported = imports.get(node.text);
  if (imported && REDIS_MODULE.test(imported.module)) return true;
  return importsRedis() && CLIENT_NAME.test(text);
}

/** The Redis drivers' own packages (not a project's `lib/redis`, whose exports may be helpers of its own). */
const REDIS_DRIVER = /^(ioredis|redis|@redis\/client|@upstash\/redis)$/;

/**
 * `redis` of a top-level `const redis = new Redis()` / `createClient()` in its file, made by an export of a Redis
 * driver: its commands are the driver's, decided without the checker.
 */
export function madeByRedisDriver(receiver: ts.Expression): boolean {
  const node = skipParens(receiver);
  if (!ts.isIdentifier(node)) return false;
  const sourceFile = node.getSourceFile();
  const declaration = sourceFile.statements
    .filter(ts.isVariableStatement)
    .flatMap((statement) => [...statement.declarationList.declarations])
    .find((d) => ts.isIdentifier(d.name) && d.name.text === node.text);
  const made = declaration?.initializer && madeBy(declaration.initializer);
  return !!made && REDIS_DRIVER.test(importsOf(sourceFile).get(made)?.module ?? "");
}

/** The name a field's value is made by: `X` of `new X(…)`, `X(…)`, `X.create(…)`; `""` for any other value. */
function madeBy(initializer: ts.Expression): string {
  let node = skipParens(initializer);
  while (ts.isAsExpression(node) || ts.isAwaitExpression(node)) node = skipParens(node.expression);
  if (!ts.isNewExpression(node) && !ts.isCallExpression(node)) return "";
  const callee = skipParens(node.expression);
  return ts.isIdentifier(callee) || ts.isPropertyAccessExpression(callee) ? leftmost(callee) : "";
}

function leftmost(name: ts.EntityName | ts.Expression): string {
  let node: ts.Node = name;
  while (ts.isQualifiedName(node) || ts.isPropertyAccessExpression(node)) node = ts.isQualifiedName(node) ? node.left : node.expression;
  return ts.isIdentifier(node) ? node.text : "";
}

/** JavaScript's keyed collections: their `get` / `set` never send a command, whatever they are keyed by. */
const COLLECTION = /^(Readonly)?(Map|Set|WeakMap|WeakSet)$/;

/**
 * `byClient` or `this.byClient` declared in the file as `new Map(…)` (`Set`, `WeakMap`) or annotated `Map<Redis, …>`:
 * a local grouping of work by Redis client, not a client.
 */
function isInMemoryCollection(node: ts.Expression): boolean {
  const name = ts.isIdentifier(node)
    ? node.text
    : ts.isPropertyAccessExpression(node) && node.expression.kind === ts.SyntaxKind.ThisKeyword
      ? node.name.text
      : undefined;
  if (!name) return false;
  return nodesOfKinds<ts.VariableDeclaration | ts.PropertyDeclaration>(node.getSourceFile(), [
    ts.SyntaxKind.VariableDeclaration,
    ts.SyntaxKind.PropertyDeclaration,
  ]).some((d) => {
    if (!ts.isIdentifier(d.name) || d.name.text !== name) return false;
    const init = d.initializer && skipParens(d.initializer);
    if (init && ts.isNewExpression(init) && COLLECTION.test(init.expression.getText())) return true;
    return !!d.type && ts.isTypeReferenceNode(d.type) && COLLECTION.test(d.type.typeName.getText());
  });
}

/**
 * The field of the hash `write` sets when `read` is an HGETALL of that hash (`hGetAll(k)`, then `hSet(k, "n", …)`:
 * "n"); undefined when the write is not of one of its fields.
 */
export function hashFieldWritten(read: DbAccess, write: DbAccess): string | undefined {
  if (!read.hashFields || write.library !== "redis" || read.table === undefined || write.table === undefined) return undefined;
  if (!write.table.startsWith(`${read.table}#`)) return undefined;
  const field = write.table.slice(read.table.length + 1);
  return /^(["'`])[^"'`]*\1$/.test(field) ? field.slice(1, -1) : field;
}
