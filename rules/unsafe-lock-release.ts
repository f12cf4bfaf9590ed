// unsafe-lock-release: a Redis lock taken with SET NX and released with a plain DEL/UNLINK of its key, with no check
// that the caller still holds it. A holder slower than the lock's expiry deletes the next holder's lock. The safe fix
// replaces the DEL by the compare-and-delete script (the release the runtime's Redis lease performs). The same for a
// lock table in SQL: a release (DELETE) or refresh (UPDATE of the expiry) whose WHERE names the key but not the owner.
import {
  boundNames,
  EQUALITY_OPERATORS,
  calleeName,
  calleeResolver,
  decidedBy,
  runsBefore,
  skipAwait,
  variableDeclarationOf,
  type CalleeResolver,
  connectionPoolOf,
  type ConnectionPool,
  code,
  inlineCode,
  defineRule,
  enclosingClass,
  enclosingFunction,
  mentions,
  importsOf,
  isBlindScriptDelete,
  isReleaseOf,
  labelOf,
  lockAcquisitionsIn,
  mayRunAfter,
  transactionScopeOf,
  CALL_KINDS,
  isInside,
  lineOf,
  nodesOfKinds,
  hardTimeLimitMs,
  operands,
  outerExpression,
  ownerComparison,
  ownerlessLockTableWrites,
  receiverOf,
  redisNxLocks,
  skipParens,
  spanOf,
  ts,
  type Fix,
  type Fixer,
  type LockAcquisition,
  type RedisNxLock,
} from "../server/src/rule-kit";

const RACE =
  "{{command}} of Redis lock {{lock}} does not check that this caller still holds it: if the holder ran longer than the lock's expiry, another worker has taken the lock since, and this {{command}} deletes that worker's lock, letting a third one in while the second is still inside.";
const LEASE = "or use the runtime's Redis lease (`createRedisLockProvider`).";
const ROW_RACE =
  "if this holder ran past {{expiry}} (the lock is taken at line {{line}}), another owner has taken the row since, and this ";

export const unsafeLockRelease = defineRule({
  meta: {
    id: "unsafe-lock-release",
    description: "A Redis lock released with DEL/UNLINK without checking that the caller still holds it deletes the next holder's lock.",
    defaultSeverity: "error",
    fixable: true,
    messages: {
      unchecked: RACE,
      uncheckedScript:
        "The Lua script run by {{command}} deletes Redis lock {{lock}} without checking that this caller still holds it (it never reads the key to compare it with the caller's token): if the holder ran longer than the lock's expiry, another worker has taken the lock since, and this script deletes that worker's lock, letting a third one in while the second is still inside.",
      pooledSessionLock:
        "{{lock}} is taken through the connection pool {{pool}}: it belongs to whichever pooled connection ran this statement, which goes back to the pool with the lock still held{{unlocked}}. The lock stays held until that connection closes, and every other acquisition waits for it.",
      checkedApart:
        "{{command}} of Redis lock {{lock}} runs after the check at line {{line}} that the key still holds this caller's token, but the check and the {{command}} are separate commands: if the lock expires between them and another worker takes it, this {{command}} deletes that worker's lock, letting a third one in while the second is still inside.",
      uncheckedConstant: `${RACE} The value stored at line {{line}} is a constant, so holders cannot be told apart.`,
      sharedToken:
        "The release of Redis lock {{lock}} compares the key with {{token}}, {{scope}}, while the key comes from the caller: every lock this code takes carries the same token, so a holder whose lock expired while it ran deletes a later acquisition of the same key by this process, letting a third caller in while the second is still inside.",
      ownerlessRelease: `This DELETE releases the {{table}} lock row by {{key}} without {{owner}} in its WHERE: ${ROW_RACE}deletes that owner's lock, letting a third one in while the second is still inside.`,
      ownerlessRefresh: `This UPDATE extends the {{table}} lock row by {{key}} without {{owner}} in its WHERE: ${ROW_RACE}extends that owner's lock (or, setting {{owner}}, takes it over) while this caller believes it still holds it.`,
    },
  },
  checkFile(context) {
    const { sourceFile } = context;
    const resolve = calleeResolver(context.program, () => context.checker);
    const hardLimitMs = hardTimeLimitMs(sourceFile);
    for (const lock of redisNxLocks(sourceFile, context.program, () => context.checker)) {
      const { key, call, ttlMs } = lock.acquisition;
      // The platform kills the holder before its lock expires: no later holder's lock can exist when it deletes.
      if (hardLimitMs !== undefined && ttlMs !== undefined && ttlMs >= hardLimitMs) continue;
      for (const release of lock.releases) {
        const command = calleeName(release)!.toUpperCase();
        if (isBlindScriptDelete(release)) {
          context.report({
            messageId: "uncheckedScript",
            data: { command: code(`${calleeName(release)}()`), lock: inlineCode(key.getText(sourceFile)) },
            help: `Compare before deleting: \`${COMPARE_AND_DELETE}\`, ${LEASE}`,
            span: spanOf(release, sourceFile),
            related: [{ span: spanOf(call, sourceFile), message: "lock taken here" }],
          });
          continue;
        }
        const shared = command === "EVAL" || command === "EVALSHA" ? sharedToken(lock, release) : undefined;
        if (shared) {
          context.report({
            messageId: "sharedToken",
            data: { lock: inlineCode(key.getText(sourceFile)), token: code(shared.token.getText(sourceFile)), scope: shared.scope },
            help: `Make a token per acquisition (\`randomUUID()\` in the acquiring call) and hand it to the release, ${LEASE}`,
            span: spanOf(release, sourceFile),
            related: [
              { span: spanOf(call, sourceFile), message: "lock taken here" },
              { span: spanOf(shared.declaration, sourceFile), message: "token made here, once" },
            ],
          });
          continue;
        }
        if (command !== "DEL" && command !== "UNLINK") continue;
        const ownerCheck = ownerCheckOf(release, lock);
        if (ownerCheck?.watched || inWatchedCallback(release, resolve)) continue;
        const data = { command, lock: inlineCode(key.getText(sourceFile)) };
        const fix = buildFix(context.fixer, lock, release, context.checker);
        if (ownerCheck) {
          context.report({
            messageId: "checkedApart",
            data: { ...data, line: lineOf(ownerCheck.condition) },
            help: `Compare and delete in one step, with a compare-and-delete script (\`${COMPARE_AND_DELETE}\`), ${LEASE}`,
            span: spanOf(release, sourceFile),
            related: [
              { span: spanOf(ownerCheck.condition, sourceFile), message: "owner checked here, by a separate command" },
              { span: spanOf(call, sourceFile), message: "lock taken here" },
            ],
            fixes: fix ? [fix] : [],
          });
          continue;
        }
        const taken = calleeName(call)!.toLowerCase() === "setnx" ? "SETNX" : "SET NX";
        const where = {
          span: spanOf(release, sourceFile),
          related: [{ span: spanOf(call, sourceFile), message: `lock taken here (${taken})` }],
          fixes: fix ? [fix] : [],
        };
        if (tokenOf(lock) || !storesConstant(lock)) {
          const help = `Release with a compare-and-delete script (delete only if the value is still this holder's token), ${LEASE}`;
          context.report({ messageId: "unchecked", data, help, ...where });
        } else {
          const help = `Store a unique token and release with a compare-and-delete script, ${LEASE}`;
          context.report({ messageId: "uncheckedConstant", data: { ...data, line: lineOf(call) }, help, ...where });
        }
      }
    }
    for (const acquisition of lockAcquisitionsIn(sourceFile, context.program, () => context.checker)) {
      const pool = pooledSessionLock(acquisition, context.checker);
      if (!pool) continue;
      const fn = enclosingFunction(acquisition.call);
      const unlock = fn?.body
        ? nodesOfKinds<ts.CallExpression | ts.TaggedTemplateExpression>(fn.body, CALL_KINDS).find(
            (c) => c !== acquisition.call && isReleaseOf(c, acquisition, new Set()) && mayRunAfter(acquisition.call, c),
          )
        : undefined;
      const unlocked = unlock
        ? `; an unlock through it (line ${lineOf(unlock)}) may run on another connection, where it unlocks nothing`
        : "";
      context.report({
        messageId: "pooledSessionLock",
        data: { lock: acquisition.label, pool: code(labelOf(pool.receiver)), unlocked },
        help: pooledLockHelp(acquisition, pool),
        span: spanOf(acquisition.call, sourceFile),
        related: unlock ? [{ span: spanOf(unlock, sourceFile), message: "unlocked here, through the pool" }] : [],
      });
    }
    for (const { access, kind, lock } of ownerlessLockTableWrites(sourceFile)) {
      const key = access.conditions.map((c) => code(c.column)).join(" and ");
      context.report({
        messageId: kind === "release" ? "ownerlessRelease" : "ownerlessRefresh",
        data: {
          table: code(lock.table),
          key,
          owner: code(lock.ownerColumn),
          expiry: code(lock.expiryColumn),
          line: lineOf(lock.acquisition.node),
        },
        help: `Name the owner in the WHERE (${access.sql ? `\`AND ${lock.ownerColumn} = …\`` : `\`where: { …, ${lock.ownerColumn} }\``}) and check the affected-row count: 0 means the lock was lost.`,
        span: spanOf(access.node, sourceFile),
        related: [
          {
            span: spanOf(lock.acquisition.node, sourceFile),
            message: `lock row inserted here, with ${code(lock.ownerColumn)} and ${code(lock.expiryColumn)}`,
          },
        ],
      });
    }
  },
});

export default unsafeLockRelease;

const COMPARE_AND_DELETE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/** The value stored under the lock's key: the holder's token when it is not a constant. */
function tokenOf(lock: RedisNxLock): ts.Expression | undefined {
  const value = lock.acquisition.call.arguments[1];
  if (!value) return undefined;
  const node = skipParens(value);
  if (ts.isIdentifier(node) || (ts.isPropertyAccessExpression(node) && node.expression.kind === ts.SyntaxKind.ThisKeyword)) return node;
  return undefined;
}

/**
 * The token a compare-and-delete release compares, when it is made once for many locks: an instance field set where
 * it is declared or in the constructor (and nowhere else), or a module constant, while the acquiring function takes
 * the key from its parameters (one object, or one module, taking locks on many keys). A lock object made per key
 * (`this.key`) with its own token is one holder per object, and is left alone.
 */
function sharedToken(
  lock: RedisNxLock,
  release: ts.CallExpression,
): { token: ts.Expression; scope: string; declaration: ts.Node } | undefined {
  const token = tokenOf(lock);
  const acquiring = enclosingFunction(lock.acquisition.call);
  if (!token || !acquiring) return undefined;
  const text = token.getText();
  if (!release.arguments.some((a) => skipParens(a).getText() === text)) return undefined;
  const params = new Set(acquiring.parameters.flatMap((p) => (ts.isIdentifier(p.name) ? [p.name.text] : [])));
  if (!mentions(lock.acquisition.key, params)) return undefined;
  if (ts.isPropertyAccessExpression(token)) {
    const cls = enclosingClass(token);
    const name = token.name.text;
    if (!cls) return undefined;
    const field = cls.members.find(
      (m): m is ts.PropertyDeclaration => ts.isPropertyDeclaration(m) && ts.isIdentifier(m.name) && m.name.text === name,
    );
    const assignments = nodesOfKinds<ts.BinaryExpression>(cls, [ts.SyntaxKind.BinaryExpression]).filter(
      (b) =>
        b.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
        ts.isPropertyAccessExpression(b.left) &&
        b.left.expression.kind === ts.SyntaxKind.ThisKeyword &&
        b.left.name.text === name,
    );
    if (assignments.some((a) => !ts.isConstructorDeclaration(enclosingFunction(a) ?? a))) return undefined;
    const declaration = field?.initializer ? field : assignments[0];
    return declaration ? { token, scope: "an instance field set once, when the object is made", declaration } : undefined;
  }
  if (!ts.isIdentifier(token)) return undefined;
  for (const statement of token.getSourceFile().statements) {
    if (!ts.isVariableStatement(statement) || !(statement.declarationList.flags & ts.NodeFlags.Const)) continue;
    const declaration = statement.declarationList.declarations.find(
      (d) => ts.isIdentifier(d.name) && d.name.text === token.text && d.initializer,
    );
    if (declaration && !isShadowed(token, acquiring)) return { token, scope: "a module constant made once per process", declaration };
  }
  return undefined;
}

/** Whether `name` is declared in `fn` (a parameter or a local), hiding a module constant of that name. */
function isShadowed(name: ts.Identifier, fn: ts.SignatureDeclaration): boolean {
  if (fn.parameters.some((p) => ts.isIdentifier(p.name) && p.name.text === name.text)) return true;
  const body = (fn as { body?: ts.Node }).body;
  return (
    !!body &&
    nodesOfKinds<ts.VariableDeclaration>(body, [ts.SyntaxKind.VariableDeclaration]).some(
      (d) => ts.isIdentifier(d.name) && d.name.text === name.text,
    )
  );
}

/** Whether the value stored is a literal (`"1"`, `1`, `true`, `"a" + "b"`): the same for every holder. */
function storesConstant(lock: RedisNxLock): boolean {
  const isConstant = (node: ts.Expression): boolean => {
    const value = skipParens(node);
    if (ts.isStringLiteralLike(value) || ts.isNumericLiteral(value)) return true;
    if (value.kind === ts.SyntaxKind.TrueKeyword || value.kind === ts.SyntaxKind.FalseKeyword) return true;
    return (
      ts.isBinaryExpression(value) &&
      value.operatorToken.kind === ts.SyntaxKind.PlusToken &&
      isConstant(value.left) &&
      isConstant(value.right)
    );
  };
  const value = lock.acquisition.call.arguments[1];
  return value !== undefined && isConstant(value);
}

/**
 * The owner check the DEL runs under (`if ((await redis.get(key)) === token)`), or undefined. A check made by another
 * command than the DEL is not atomic with it, unless the key is WATCHed (a MULTI/EXEC transaction then aborts when the
 * key changed in between): `watched` says so.
 */
function ownerCheckOf(release: ts.CallExpression, lock: RedisNxLock): { condition: ts.Expression; watched: boolean } | undefined {
  const fn = enclosingFunction(release);
  for (let current: ts.Node = release; current.parent && current !== fn; current = current.parent) {
    const parent = current.parent;
    const condition =
      ts.isIfStatement(parent) && parent.thenStatement === current
        ? parent.expression
        : ts.isConditionalExpression(parent) && parent.whenTrue === current
          ? parent.condition
          : ts.isBinaryExpression(parent) && parent.right === current && parent.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken
            ? parent.left
            : undefined;
    if (!condition) continue;
    for (const part of operands(condition, ts.SyntaxKind.AmpersandAmpersandToken))
      if (ownerComparison(part, lock.acquisition) === true) {
        const watched =
          !!fn?.body &&
          nodesOfKinds<ts.CallExpression>(fn.body, [ts.SyntaxKind.CallExpression]).some((c) => calleeName(c)?.toLowerCase() === "watch");
        return { condition: part, watched };
      }
  }
  return undefined;
}

/**
 * A DEL queued in MULTI … EXEC inside a callback that a project function runs only after its WATCH, past the callback's
 * test of a value it was handed (`withWatch(id, async (owner) => { if (owner !== me) return; multi().del(key).exec() })`):
 * EXEC aborts when the key changed after the WATCH, so the test and the DEL are one compare-and-delete.
 */
function inWatchedCallback(release: ts.CallExpression, resolve: CalleeResolver): boolean {
  if (!queuedInMulti(release)) return false;
  const callback = enclosingFunction(release);
  if (!callback || !(ts.isArrowFunction(callback) || ts.isFunctionExpression(callback)) || !ts.isCallExpression(callback.parent))
    return false;
  const runner = resolve(callback.parent);
  const parameter = runner?.parameters[callback.parent.arguments.indexOf(callback)]?.name;
  if (!runner?.body || !parameter || !ts.isIdentifier(parameter)) return false;
  // The runner's own code and its inner functions (a retry loop's `attempt` arrow): each call of the callback follows a
  // WATCH of the same function on every path.
  const calls = nodesOfKinds<ts.CallExpression>(runner.body, [ts.SyntaxKind.CallExpression]);
  const runs = calls.filter((c) => ts.isIdentifier(c.expression) && c.expression.text === parameter.text);
  const watchesIn = (fn: ts.Node | undefined) =>
    calls.filter((c) => calleeName(c)?.toLowerCase() === "watch" && enclosingFunction(c) === fn);
  if (runs.length === 0 || !runs.every((run) => runsBefore(watchesIn(enclosingFunction(run)), run))) return false;
  // The DEL runs on one outcome only of a comparison of what the runner handed the callback.
  const handed = new Set(callback.parameters.flatMap((p) => boundNames(p.name).map((name) => name.text)));
  return nodesOfKinds<ts.BinaryExpression>(callback.body, [ts.SyntaxKind.BinaryExpression], { skipFunctions: true }).some(
    (test) => EQUALITY_OPERATORS.has(test.operatorToken.kind) && mentions(test, handed) && decidedBy(test, release) !== undefined,
  );
}

/** `client.multi().del(key)`, or `tx.del(key)` with `const tx = client.multi()`: queued until EXEC. */
function queuedInMulti(release: ts.CallExpression): boolean {
  let receiver = receiverOf(release);
  while (receiver && ts.isCallExpression(receiver) && calleeName(receiver)?.toLowerCase() !== "multi") receiver = receiverOf(receiver);
  if (receiver && ts.isIdentifier(receiver)) {
    const declaration = variableDeclarationOf(receiver);
    receiver = declaration?.initializer && skipAwait(declaration.initializer);
  }
  return !!receiver && ts.isCallExpression(receiver) && calleeName(receiver)?.toLowerCase() === "multi";
}

/** True if the token is visible at the release (same function, declared in a scope that contains the release). */
function tokenInScopeAt(token: ts.Expression, release: ts.CallExpression, checker: ts.TypeChecker): boolean {
  if (ts.isPropertyAccessExpression(token)) return enclosingFunction(token)?.parent === enclosingFunction(release)?.parent;
  const declaration = checker.getSymbolAtLocation(token)?.valueDeclaration;
  if (!declaration) return false;
  const scope = ts.isParameter(declaration)
    ? declaration.parent
    : ts.isVariableDeclaration(declaration)
      ? declaration.parent.parent.parent
      : undefined;
  if (!scope || !isInside(release, scope)) return false;
  // A `let` token reassigned between acquisition and release would no longer be this holder's.
  const list = ts.isVariableDeclaration(declaration) ? declaration.parent : undefined;
  return !list || (list.flags & ts.NodeFlags.Const) !== 0 || ts.isParameter(declaration);
}

/** The compare-and-delete call in the client's own syntax. Undefined when it would not be a drop-in replacement. */
function buildFix(fixer: Fixer, lock: RedisNxLock, release: ts.CallExpression, checker: ts.TypeChecker): Fix | undefined {
  const token = tokenOf(lock);
  const receiver = receiverOf(release);
  if (!token || !receiver || release.arguments.length !== 1) return undefined;
  // DEL returns a count, the script 0/1 typed as unknown: only replace a DEL whose result is not used.
  const outer = outerExpression(release);
  if (!ts.isExpressionStatement(outer.parent) && !(ts.isVoidExpression(outer.parent) && ts.isExpressionStatement(outer.parent.parent)))
    return undefined;
  if (!tokenInScopeAt(token, release, checker)) return undefined;
  const sourceFile = release.getSourceFile();
  const nodeRedis =
    lock.acquisition.call.arguments.some((a) => ts.isObjectLiteralExpression(skipParens(a))) ||
    calleeName(lock.acquisition.call) === "setNX";
  // node-redis takes script arguments as strings only.
  if (nodeRedis && !(checker.getTypeAtLocation(token).flags & (ts.TypeFlags.StringLike | ts.TypeFlags.Any))) return undefined;
  const keyText = release.arguments[0]!.getText(sourceFile);
  const tokenText = token.getText(sourceFile);
  const script = JSON.stringify(COMPARE_AND_DELETE);
  // Upstash takes its keys and arguments as two arrays, node-redis as one options object, ioredis positionally.
  const upstash = [...importsOf(sourceFile).values()].some((i) => i.module === "@upstash/redis");
  const call = upstash
    ? `${receiver.getText(sourceFile)}.eval(${script}, [${keyText}], [${tokenText}])`
    : nodeRedis
      ? `${receiver.getText(sourceFile)}.eval(${script}, { keys: [${keyText}], arguments: [${tokenText}] })`
      : `${receiver.getText(sourceFile)}.eval(${script}, 1, ${keyText}, ${tokenText})`;
  const title = `Delete ${code(keyText)} only while it still holds ${code(tokenText)} (compare-and-delete script)`;
  return fixer.fix(title, fixer.replace(release, call));
}

function pooledLockHelp(acquisition: LockAcquisition, pool: ConnectionPool): string {
  const name = labelOf(pool.receiver);
  if (pool.kind === "prisma")
    return `Take the lock inside an interactive transaction (\`${name}.$transaction(async (tx) => …)\`) with \`pg_advisory_xact_lock\` through \`tx\`: the transaction keeps one connection, and COMMIT releases the lock.`;
  if (pool.kind === "knex")
    return `Take the lock inside \`${name}.transaction(async (trx) => …)\` with \`pg_advisory_xact_lock\` through \`trx\`: the transaction keeps one connection, and COMMIT releases the lock.`;
  if (pool.kind === "postgres")
    return `Take one connection (\`const conn = await ${name}.reserve()\`), lock, work and unlock on it, and \`conn.release()\` in \`finally\`; or use \`pg_advisory_xact_lock\` inside \`${name}.begin(async (tx) => …)\`.`;
  return acquisition.mechanism === "pg-advisory"
    ? `Take one connection (\`const client = await ${name}.connect()\`), lock, work and unlock on it, and release the client in \`finally\`; or use \`pg_advisory_xact_lock\` inside a transaction.`
    : `Take one connection (\`const conn = await ${name}.getConnection()\`), lock, work and \`RELEASE_LOCK\` on it, and release the connection in \`finally\`.`;
}

/**
 * A session-level lock (`pg_advisory_lock`, MySQL `GET_LOCK`) taken by a statement sent through a connection pool:
 * the pool it went through, else undefined. Transaction-level locks (`pg_advisory_xact_lock`) are the transaction's.
 */
function pooledSessionLock(acquisition: LockAcquisition, checker: ts.TypeChecker): ConnectionPool | undefined {
  if ((acquisition.mechanism !== "pg-advisory" && acquisition.mechanism !== "mysql-named") || acquisition.transactionScoped)
    return undefined;
  const call = acquisition.call;
  // A statement inside a transaction runs on the transaction's connection, even through the pool's name.
  if (transactionScopeOf(call)) return undefined;
  return connectionPoolOf(call, checker);
}
