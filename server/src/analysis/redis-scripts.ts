// Redis locks taken inside Lua scripts: `redis.eval(SCRIPT, 1, key, token, ttl)` or a command registered with
// `redis.defineCommand("acquireLock", { numberOfKeys: 1, lua: SCRIPT })` and called as `redis.acquireLock(key, …)`,
// where the script runs `redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])`. The script's SET is read for its
// key (which call argument KEYS[n] is) and its expiry (missing, a number, or the call argument ARGV[m] is), so the
// lock rules see such a lock like a SET NX written in TypeScript — including an expiry argument of 0, which Redis
// takes as an error for PX but callers often pass through as "no TTL" wrappers.
import { ts } from "../engine/ts";
import { calleeName, nodesOfKinds, receiverOf, skipParens } from "./ast";

export interface ScriptSetNx {
  /** The call argument KEYS[n] names: the lock's key. */
  key: ts.Expression;
  /** "none": no PX/EX in the script; "zero": PX/EX given 0; "set": an expiry; "unknown": from an argument not readable. */
  expiry: "none" | "zero" | "set" | "unknown";
  /** The expiry argument, when the script takes it from ARGV. */
  expiryArgument?: ts.Expression;
}

/** `redis.call('set', KEYS[1], …)` / `redis.pcall("SET", KEYS[2], …)`: which key and the rest of the arguments. */
const LUA_SET = /redis\.p?call\(\s*(['"])set\1\s*,\s*KEYS\[(\d+)\]\s*((?:,\s*(?:'[^']*'|"[^"]*"|[\w.[\]]+)\s*)*)\)/gi;
const EXPIRY_WORD = /^(['"])(PX|EX|PXAT|EXAT)\1$/i;

/** If `call` runs a Lua script whose SET … NX takes a lock, what the script's SET does in this call's terms. */
export function scriptSetNxOf(call: ts.CallExpression, numberOf: (e: ts.Expression) => number | undefined): ScriptSetNx | undefined {
  const name = calleeName(call);
  if (!name || !receiverOf(call)) return undefined;
  let script: string | undefined;
  let keyCount: number | undefined;
  let firstKey: number;
  if (/^eval$/i.test(name)) {
    script = constantString(call.arguments[0]);
    keyCount = call.arguments[1] ? numberOf(call.arguments[1]) : undefined;
    firstKey = 2;
  } else {
    const command = definedCommandsIn(call.getSourceFile()).get(name);
    if (!command) return undefined;
    ({ script, keyCount } = command);
    firstKey = 0;
  }
  if (!script || keyCount === undefined || !/\bNX\b/i.test(script)) return undefined;
  for (const match of script.matchAll(LUA_SET)) {
    const args = match[3]!
      .split(",")
      .map((a) => a.trim())
      .filter(Boolean);
    if (!args.some((a) => /^(['"])NX\1$/i.test(a))) continue;
    const keyIndex = Number(match[2]) - 1;
    const key = keyIndex < keyCount ? call.arguments[firstKey + keyIndex] : undefined;
    if (!key) return undefined;
    const at = args.findIndex((a) => EXPIRY_WORD.test(a));
    if (at < 0) return { key, expiry: "none" };
    const value = args[at + 1] ?? "";
    if (/^\d+$/.test(value)) return { key, expiry: Number(value) === 0 ? "zero" : "set" };
    const argv = /^ARGV\[(\d+)\]$/.exec(value);
    const argument = argv ? call.arguments[firstKey + keyCount + Number(argv[1]) - 1] : undefined;
    if (!argument) return { key, expiry: "unknown" };
    const n = numberOf(argument);
    return { key, expiry: n === 0 ? "zero" : n === undefined ? "unknown" : "set", expiryArgument: argument };
  }
  return undefined;
}

/**
 * Whether `call` runs a Lua script (`eval` with a script constant, or a `defineCommand` command) that deletes a key
 * without first reading it (`redis.call('get', …)`) to compare with the caller's token: a blind release.
 */
export function isBlindScriptDelete(call: ts.CallExpression): boolean {
  const script = scriptOf(call);
  return !!script && LUA_DELETE.test(script) && !/redis\.p?call\(\s*(['"])get\1/i.test(script);
}

/** Whether `call` runs a Lua script Locksmith can read (an `eval` constant, a `defineCommand` command) that deletes no key. */
export function isScriptWithoutDelete(call: ts.CallExpression): boolean {
  const script = scriptOf(call);
  return script !== undefined && !LUA_DELETE.test(script);
}

const LUA_DELETE = /redis\.p?call\(\s*(['"])(del|unlink)\1/i;

/** The Lua script a call runs: an `eval`'s script constant, or the script of a command the file defines. */
function scriptOf(call: ts.CallExpression): string | undefined {
  const name = calleeName(call);
  if (!name) return undefined;
  return /^eval$/i.test(name) ? constantString(call.arguments[0]) : definedCommandsIn(call.getSourceFile()).get(name)?.script;
}

/** A string the code states: a literal, or a `const` of the file bound to one. */
function constantString(node: ts.Expression | undefined): string | undefined {
  const bare = node && skipParens(node);
  if (!bare) return undefined;
  if (!ts.isIdentifier(bare)) return literalText(bare);
  const declarations = nodesOfKinds<ts.VariableDeclaration>(bare.getSourceFile(), [ts.SyntaxKind.VariableDeclaration]).filter(
    (d) => ts.isIdentifier(d.name) && d.name.text === bare.text && (d.parent.flags & ts.NodeFlags.Const) !== 0,
  );
  const init = declarations.length === 1 ? declarations[0]!.initializer : undefined;
  return init && literalText(init);
}

/**
 * The text of a string written as literals: one literal, literals joined by `+`, or an array of literals joined by a
 * literal separator (`["local v = redis.call('GET', KEYS[1])", "if v == ARGV[1] then …"].join("\n")`).
 */
function literalText(node: ts.Expression): string | undefined {
  const bare = skipParens(node);
  if (ts.isStringLiteralLike(bare)) return bare.text;
  if (ts.isBinaryExpression(bare) && bare.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const left = literalText(bare.left);
    const right = left === undefined ? undefined : literalText(bare.right);
    return right === undefined ? undefined : left! + right;
  }
  if (!ts.isCallExpression(bare) || calleeName(bare) !== "join" || bare.arguments.length > 1) return undefined;
  const list = receiverOf(bare);
  const separator = bare.arguments[0] ? literalText(bare.arguments[0]) : ",";
  if (!list || separator === undefined || !ts.isArrayLiteralExpression(skipParens(list))) return undefined;
  const parts = (skipParens(list) as ts.ArrayLiteralExpression).elements.map((e) => (ts.isSpreadElement(e) ? undefined : literalText(e)));
  return parts.every((p) => p !== undefined) ? parts.join(separator) : undefined;
}

const commandsCache = new WeakMap<ts.SourceFile, Map<string, { script: string | undefined; keyCount: number | undefined }>>();

/** `redis.defineCommand("name", { numberOfKeys: 1, lua: SCRIPT })` calls of a file, by command name. */
function definedCommandsIn(sourceFile: ts.SourceFile): Map<string, { script: string | undefined; keyCount: number | undefined }> {
  let commands = commandsCache.get(sourceFile);
  if (commands) return commands;
  commands = new Map();
  if (sourceFile.text.includes("defineCommand"))
    for (const call of nodesOfKinds<ts.CallExpression>(sourceFile, [ts.SyntaxKind.CallExpression])) {
      const [name, options] = call.arguments;
      if (calleeName(call) !== "defineCommand" || !name || !ts.isStringLiteralLike(name) || !options) continue;
      const object = skipParens(options);
      if (!ts.isObjectLiteralExpression(object)) continue;
      const property = (key: string) =>
        object.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText() === key)?.initializer;
      const count = property("numberOfKeys");
      commands.set(name.text, {
        script: constantString(property("lua")),
        keyCount: count && ts.isNumericLiteral(skipParens(count)) ? Number((skipParens(count) as ts.NumericLiteral).text) : undefined,
      });
    }
  commandsCache.set(sourceFile, commands);
  return commands;
}
