// lock-without-expiry: a Redis lock taken with no expiry (SET NX without PX/EX/PXAT/EXAT, SETNX without a PEXPIRE
// in the same MULTI), or a lock-table row inserted with nothing saying when it lapses. A holder that crashes before
// its DEL keeps the lock forever. The safe fix adds a PX expiry and,
// when the value is a constant, a unique token.
import {
  calleeName,
  code,
  inlineCode,
  defineRule,
  enclosingFunction,
  importEdits,
  importsOf,
  isExpiryOf,
  lineOf,
  lockAcquisitionsIn,
  lockTableNeverLapses,
  mayRunAfter,
  outerExpression,
  receiverOf,
  redisFlagLocksIn,
  redisNxLocks,
  sameIdentity,
  sentenceStart,
  skipParens,
  spanOf,
  stringValue,
  ts,
  walkFunctionBody,
  type Fix,
  type Fixer,
  type RedisNxLock,
  type TextEdit,
} from "../server/src/rule-kit";

const LOCKED_OUT = "and every later caller is locked out until someone deletes it by hand.";

export const lockWithoutExpiry = defineRule({
  meta: {
    id: "lock-without-expiry",
    description:
      "A Redis lock taken with SET NX / SETNX and no expiry, or a lock-table row with no expiry, stays forever when its holder crashes.",
    defaultSeverity: "error",
    fixable: true,
    messages: {
      noExpiry: `Redis lock {{lock}} is taken with {{command}} and no expiry: a holder that crashes (or is killed during a deploy) before releasing it leaves the key forever, ${LOCKED_OUT}`,
      scriptNoExpiry: `Redis lock {{lock}} is taken by the Lua script's \`SET … NX\` (run by {{command}}) with no expiry: a holder that crashes (or is killed during a deploy) before releasing it leaves the key forever, ${LOCKED_OUT}`,
      scriptZeroExpiry:
        "Redis lock {{lock}} is taken by the Lua script's `SET … NX` (run by {{command}}) with an expiry of 0 ({{argument}}): Redis rejects a zero `PX`/`EX`, so the lock is never taken, and a script that skips the expiry for 0 leaves the key forever instead.",
      tableNoExpiry:
        "{{lock}} is inserted with {{owner}} and no column saying when it lapses or was taken: a holder that crashes (or is killed during a deploy) before deleting its row keeps the lock forever, and every later caller is turned away until someone deletes the row by hand.",
      separateExpiry: `Redis lock {{lock}} is taken with {{command}} and no expiry: its expiry is set by a separate command at line {{line}}, so a holder that crashes between the two leaves the key without expiry, ${LOCKED_OUT}`,
      flagNoExpiry: `Redis key {{lock}} is set here as a lock — tested free at line {{test}}, deleted at line {{release}} after the work — with no expiry: a holder that crashes (or is killed during a deploy) before the delete leaves the key forever, ${LOCKED_OUT}`,
    },
    optionsSchema: {
      type: "object",
      // Redis takes PX as a positive integer, so the schema asks for one rather than the fix rounding.
      properties: { defaultTtlMs: { type: "integer", minimum: 1, description: "Expiry the fix adds, in milliseconds (default 30000)." } },
      additionalProperties: false,
    },
    defaultOptions: { defaultTtlMs: 30000 },
  },
  checkFile(context) {
    const { sourceFile } = context;
    for (const acquisition of lockAcquisitionsIn(sourceFile, context.program, () => context.checker))
      if (acquisition.lockTable && lockTableNeverLapses(acquisition))
        context.report({
          messageId: "tableNoExpiry",
          data: { lock: sentenceStart(acquisition.label), owner: code(acquisition.lockTable.ownerColumn) },
          help: "Write an expiry with the row (`expires_at = now() + interval '30 seconds'`) and let an acquisition take over a row whose expiry has passed (`ON CONFLICT … DO UPDATE … WHERE expires_at < now()`).",
          span: spanOf(acquisition.call, sourceFile),
        });
    for (const lock of redisNxLocks(sourceFile, context.program, () => context.checker)) {
      const { call, key, luaScript } = lock.acquisition;
      if (lock.acquisition.expires || expiryInSameMulti(call, key)) continue;
      if (luaScript) {
        const data = { lock: inlineCode(key.getText(sourceFile)), command: code(`${calleeName(call)}()`) };
        const help = "Give the script's SET a positive PX (milliseconds) or EX, and pass a positive expiry.";
        if (luaScript.expiry === "zero" && luaScript.expiryArgument)
          context.report({
            messageId: "scriptZeroExpiry",
            data: { ...data, argument: inlineCode(luaScript.expiryArgument.getText(sourceFile)) },
            help,
            span: spanOf(call, sourceFile),
          });
        else context.report({ messageId: "scriptNoExpiry", data, help, span: spanOf(call, sourceFile) });
        continue;
      }
      const command = commandOf(call);
      const where = {
        span: spanOf(call, sourceFile),
        help: command === "SETNX" ? "Take it with `SET key value PX <ms> NX` instead." : "Add PX (or EX) to the SET.",
      };
      const data = { lock: inlineCode(key.getText(sourceFile)), command };
      const separate = separateExpiry(call, key);
      if (separate) {
        context.report({
          messageId: "separateExpiry",
          data: { ...data, line: lineOf(separate) },
          ...where,
          related: [{ span: spanOf(separate, sourceFile), message: "expiry set here, as a separate command" }],
        });
        continue;
      }
      const fix = buildFix(context.fixer, lock, context.options.defaultTtlMs);
      context.report({ messageId: "noExpiry", data, ...where, fixes: fix ? [fix] : [] });
    }
    // A key deleted only when the work fails is kept on success by design (a "done" marker), so it is no lock left held.
    for (const flag of redisFlagLocksIn(sourceFile))
      if (!flag.expires && !flag.releasedOnlyOnFailure && !flag.overwrittenAfterWork)
        context.report({
          messageId: "flagNoExpiry",
          data: { lock: inlineCode(flag.key), test: lineOf(flag.test), release: lineOf(flag.release) },
          help: 'Take it in one step with an expiry and a token (`set(key, token, "PX", ttl, "NX")`), going on only when the reply is "OK".',
          span: spanOf(flag.set, sourceFile),
        });
  },
});

export default lockWithoutExpiry;

/** The command that takes the lock, for messages. */
function commandOf(call: ts.CallExpression): "SET NX" | "SETNX" {
  return calleeName(call)!.toLowerCase() === "setnx" ? "SETNX" : "SET NX";
}

/** Calls chained after `call` (`multi().setnx(k, v).pexpire(k, ms).exec()`), innermost first. */
function chainedCalls(call: ts.CallExpression): ts.CallExpression[] {
  const out: ts.CallExpression[] = [];
  let current: ts.Node = call;
  while (
    ts.isPropertyAccessExpression(current.parent) &&
    ts.isCallExpression(current.parent.parent) &&
    current.parent.parent.expression === current.parent
  ) {
    current = current.parent.parent;
    out.push(current as ts.CallExpression);
  }
  return out;
}

/** True if `expr` is, or is a variable initialised with, a `.multi()` chain. */
function isMulti(expr: ts.Expression | undefined, sourceFile: ts.SourceFile): boolean {
  if (!expr) return false;
  let node = skipParens(expr);
  if (ts.isIdentifier(node)) {
    const fn = enclosingFunction(node) ?? sourceFile;
    let initializer: ts.Expression | undefined;
    walkFunctionBody(fn, (n) => {
      if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === (node as ts.Identifier).text && n.initializer)
        initializer = n.initializer;
    });
    if (!initializer) return false;
    node = skipParens(initializer);
  }
  for (let current: ts.Expression = node; ts.isCallExpression(current); current = receiverOf(current) ?? current.expression) {
    if (calleeName(current)?.toLowerCase() === "multi") return true;
    if (!receiverOf(current)) return false;
  }
  return false;
}

/** The PEXPIRE/EXPIRE of the lock's key queued in the same MULTI, chained or as a later top-level statement. */
function expiryInSameMulti(call: ts.CallExpression, key: ts.Expression): ts.CallExpression | undefined {
  const sourceFile = call.getSourceFile();
  if (!isMulti(receiverOf(call), sourceFile)) return undefined;
  const chained = chainedCalls(call).find((c) => isExpiryOf(c, key));
  if (chained) return chained;
  const receiver = skipParens(receiverOf(call)!);
  const statement = outerExpression(call).parent;
  if (!ts.isIdentifier(receiver) || !ts.isExpressionStatement(statement) || !ts.isBlock(statement.parent)) return undefined;
  const later = statement.parent.statements.slice(statement.parent.statements.indexOf(statement) + 1);
  for (const s of later) {
    if (!ts.isExpressionStatement(s)) continue;
    const expr = skipParens(s.expression);
    if (ts.isCallExpression(expr) && isExpiryOf(expr, key) && receiverOf(expr) && sameIdentity(receiverOf(expr)!, receiver)) return expr;
  }
  return undefined;
}

/**
 * A PEXPIRE/EXPIRE of the key outside any MULTI that may run after the SET, in the same function: it leaves a window.
 * "After" is a path (one in the other branch of an `if` never runs after it).
 */
function separateExpiry(call: ts.CallExpression, key: ts.Expression): ts.CallExpression | undefined {
  let found: ts.CallExpression | undefined;
  walkFunctionBody(enclosingFunction(call) ?? call.getSourceFile(), (node) => {
    if (!found && ts.isCallExpression(node) && node !== call && isExpiryOf(node, key) && mayRunAfter(call, node)) found = node;
  });
  return found;
}

/** True if the acquisition's result is only ever tested for truthiness (so SET's "OK"/null can replace SETNX's 1/0). */
function resultUsedOnlyAsCondition(call: ts.CallExpression): boolean {
  const outer = outerExpression(call);
  if (isTruthinessContext(outer)) return true;
  const parent = outer.parent;
  if (!ts.isVariableDeclaration(parent) || !ts.isIdentifier(parent.name) || !(parent.parent.flags & ts.NodeFlags.Const)) return false;
  const name = parent.name.text;
  let onlyConditions = true;
  walkFunctionBody(enclosingFunction(call) ?? call.getSourceFile(), (node) => {
    if (ts.isIdentifier(node) && node.text === name && node !== parent.name && !isTruthinessContext(node)) onlyConditions = false;
  });
  return onlyConditions;
}

function isTruthinessContext(node: ts.Node): boolean {
  const parent = node.parent;
  if (ts.isExpressionStatement(parent)) return true;
  if ((ts.isIfStatement(parent) || ts.isWhileStatement(parent) || ts.isDoStatement(parent)) && parent.expression === node) return true;
  if (ts.isConditionalExpression(parent) && parent.condition === node) return true;
  if (ts.isPrefixUnaryExpression(parent) && parent.operator === ts.SyntaxKind.ExclamationToken) return true;
  if (ts.isParenthesizedExpression(parent)) return isTruthinessContext(parent);
  return false;
}

/** Replaces a constant lock value by `randomUUID()`, unless the constant is compared elsewhere in the file. */
function tokenEdits(fixer: Fixer, sourceFile: ts.SourceFile, value: ts.Expression | undefined): TextEdit[] | undefined {
  if (!value) return undefined;
  const node = skipParens(value);
  const literal =
    stringValue(node) ?? (ts.isNumericLiteral(node) ? node.text : node.kind === ts.SyntaxKind.TrueKeyword ? "true" : undefined);
  if (literal === undefined) return [];
  let usedElsewhere = false;
  ts.forEachChild(sourceFile, function visit(n): void {
    if (n !== node && (ts.isStringLiteralLike(n) || ts.isNumericLiteral(n)) && n.text === literal) usedElsewhere = true;
    if (!usedElsewhere) ts.forEachChild(n, visit);
  });
  if (usedElsewhere) return [];
  const existing = importsOf(sourceFile).get("randomUUID");
  if (existing && !(existing.imported === "randomUUID" && /^(node:)?crypto$/.test(existing.module))) return [];
  if (!existing && /\brandomUUID\b/.test(sourceFile.text)) return [];
  return [fixer.replace(node, "randomUUID()"), ...(existing ? [] : importEdits(sourceFile, "node:crypto", ["randomUUID"]))];
}

/** The safe fix: an expiry in the call's own syntax, and a token for a constant value. Undefined when unsure. */
function buildFix(fixer: Fixer, lock: RedisNxLock, ttlMs: number): Fix | undefined {
  const { call } = lock.acquisition;
  const sourceFile = call.getSourceFile();
  const name = calleeName(call)!;
  const edits: TextEdit[] = [];
  if (name.toLowerCase() === "setnx") {
    if (chainedCalls(call).length > 0 || !resultUsedOnlyAsCondition(call) || call.arguments.length !== 2) return undefined;
    // ioredis `setnx` → positional SET; node-redis `setNX`/`SETNX` → options object.
    const positional = name === "setnx";
    const nameNode = ts.isPropertyAccessExpression(call.expression) ? call.expression.name : undefined;
    if (!nameNode) return undefined;
    edits.push(fixer.replace(nameNode, name === "SETNX" ? "SET" : "set"));
    edits.push(fixer.insertAfter(call.arguments[1]!, positional ? `, "PX", ${ttlMs}, "NX"` : `, { NX: true, PX: ${ttlMs} }`));
  } else {
    const args = call.arguments.slice(2);
    const nxToken = args.find((a) => stringValue(skipParens(a))?.toUpperCase() === "NX");
    const options = args.map(skipParens).find(ts.isObjectLiteralExpression);
    if (nxToken) {
      const quote = nxToken.getText(sourceFile)[0] === "'" ? "'" : '"';
      // ioredis's types accept the flags only in upper case and PX before NX: rewrite the NX token as well.
      edits.push(fixer.replace(nxToken, `${quote}PX${quote}, ${ttlMs}, ${quote}NX${quote}`));
    } else if (options && options.properties.length > 0) {
      const usesCondition = options.properties.some((p) => p.name && /^condition$/i.test(p.name.getText(sourceFile)));
      const last = options.properties[options.properties.length - 1]!;
      edits.push(fixer.insertAfter(last, usesCondition ? `, expiration: { type: "PX", value: ${ttlMs} }` : `, PX: ${ttlMs}`));
    } else {
      return undefined;
    }
  }
  const token = tokenEdits(fixer, sourceFile, call.arguments[1]);
  if (!token) return undefined;
  const seconds = ttlMs % 1000 === 0 ? `${ttlMs / 1000} s` : `${ttlMs} ms`;
  const title = token.length > 0 ? `Add a ${seconds} expiry (PX ${ttlMs}) and a unique token` : `Add a ${seconds} expiry (PX ${ttlMs})`;
  return fixer.fix(title, ...edits, ...token);
}
