// The project's writers of each column: every UPDATE-like write the recognisers see (access.ts), by table and column,
// with the function that makes it. select-then-update asks it whether a column merged from a stale read has another
// writer: a settings blob only one code path writes is last-writer-wins, one that two paths write loses an update.
//
// A file's writes hold no ts.Nodes (offsets and strings), so they are cached by file content and outlive the Program
// (the language server builds a new one per edit and re-reads only the edited files); the index over a Program is
// built once, when first asked. Test, seed and script files (config.ts DEFAULT_NON_PRODUCTION_FILES) write nothing a
// production race could lose.
import * as path from "node:path";
import picomatch from "picomatch";
import { DEFAULT_NON_PRODUCTION_FILES } from "../../engine/config";
import { normalizePath } from "../../engine/paths";
import { ts } from "../../engine/ts";
import { enclosingFunction, functionName, skipParens, type FunctionLike } from "../ast";
import { declarationOf } from "../identity";
import { contentHash } from "../lock-order/summary";
import { dbAccessesIn, isDelete, tableKey, type DbAccess } from "./access";
import { accessTable, collectionOfHandle, isUnnamedCollection } from "./mongo-collections";
import { updatedFields } from "./mongoose";
import { sameColumn } from "./read-modify-write";

/** One write of a table's row(s) somewhere in the project. */
export interface ColumnWrite {
  file: string;
  /** 1-based line of the write. */
  line: number;
  /** Offset of the write's call: the same write seen from a read-modify-write flow. */
  start: number;
  /** The function making it (`Class.method`, `<anonymous>`, or `<module>`). */
  writer: string;
  /** The columns set; undefined when the write sets columns not visible in the code (`data: input`, `save(entity)`). */
  columns?: string[];
  /** For a write whose columns are not visible: those it certainly does not set (left out of the rest it spreads). */
  notWritten?: string[];
  /** A MongoDB driver write whose collection the recogniser named by its handle only: resolved per Program. */
  unnamedCollection?: boolean;
}

interface FileWrites {
  hash: string;
  /** By table key (access.ts `tableKey`). */
  byTable: Map<string, ColumnWrite[]>;
}

const fileCache = new Map<string, FileWrites>();
const indexes = new WeakMap<ts.Program, Map<string, ColumnWrite[]>>();
const nonProduction = picomatch([...DEFAULT_NON_PRODUCTION_FILES], { dot: true });

/** Statistics for tests: how many files were walked (not served from cache). */
export const columnWriterStats = { files: 0 };

/** A file worth walking: it names an update-like method or statement. */
const MAY_WRITE = /update|upsert|save|replace|\.set\(/i;

/** The writes of `table` in the project (production files only). */
export function writesOfTable(program: ts.Program, table: string): readonly ColumnWrite[] {
  let index = indexes.get(program);
  if (!index) {
    index = new Map();
    for (const sourceFile of productionFiles(program)) {
      for (const [fileKey, writes] of writesOfFile(sourceFile).byTable)
        for (const write of writes) {
          const key = write.unnamedCollection ? tableKey(namedTableAt(program, sourceFile, write) ?? fileKey) : fileKey;
          index.set(key, [...(index.get(key) ?? []), write]);
        }
    }
    indexes.set(program, index);
  }
  return index.get(tableKey(table)) ?? [];
}

/** The program's own source files that are not test, seed or script files. */
function productionFiles(program: ts.Program): ts.SourceFile[] {
  const root = normalizePath(program.getCurrentDirectory());
  return program.getSourceFiles().filter((sourceFile) => {
    const file = normalizePath(sourceFile.fileName);
    // Matched as the configuration's globs are, relative to the project's folder: a checkout under `/home/x/test/`
    // is not all test code.
    const relative = path.posix.relative(root, file);
    const shown = relative.startsWith("..") ? file.replace(/^\/+/, "") : relative;
    return !sourceFile.isDeclarationFile && !file.includes("/node_modules/") && !nonProduction(shown);
  });
}

function writesOfFile(sourceFile: ts.SourceFile): FileWrites {
  const file = normalizePath(sourceFile.fileName);
  const hash = contentHash(sourceFile);
  const cached = fileCache.get(file);
  if (cached?.hash === hash) return cached;
  const byTable = new Map<string, ColumnWrite[]>();
  if (MAY_WRITE.test(sourceFile.text)) {
    columnWriterStats.files++;
    for (const access of dbAccessesIn(sourceFile)) {
      if (access.kind !== "write" || access.insert || access.library === "redis" || !access.table || isDelete(access)) continue;
      const fn = enclosingFunction(access.node);
      const write: ColumnWrite = {
        file,
        line: sourceFile.getLineAndCharacterOfPosition(access.node.getStart(sourceFile)).line + 1,
        start: access.node.getStart(sourceFile),
        writer: fn ? writerName(fn) : "<module>",
        ...columnsOf(access),
      };
      if (access.library === "mongodb" && isUnnamedCollection(access.table)) write.unnamedCollection = true;
      const key = tableKey(access.table);
      byTable.set(key, [...(byTable.get(key) ?? []), write]);
    }
  }
  const entry = { hash, byTable };
  fileCache.set(file, entry);
  return entry;
}

/**
 * The columns a write sets, when all are named (a conditional spread's keys are named: shapes.ts `objectAssignments`).
 * A spread of a variable or an entity save sets columns the code does not show.
 */
function columnsOf(access: DbAccess): { columns?: string[]; notWritten?: string[] } {
  // A document update whose operators list no value written in code (`$unset`, `$addToSet`, `$set: changes`).
  if (access.assignments.length === 0 && (access.library === "mongodb" || access.library === "mongoose"))
    return ts.isCallExpression(access.node) ? documentColumns(access.node) : {};
  if (access.flush || access.assignments.length === 0) return {};
  const spreads = access.assignments.filter((a) => a.column === "...");
  if (access.entity && spreads.length === 0) return {};
  if (spreads.length === 0) return { columns: access.assignments.filter((a) => !a.relation).map((a) => a.column) };
  // `const { email, ...rest } = input` then `{ ...rest }`: whatever `rest` holds, it is not `email`.
  if (spreads.some((a) => !a.value)) return {};
  return notWrittenBy(
    spreads.map((a) => a.value!),
    access.assignments.filter((a) => a.column !== "...").map((a) => a.column),
  );
}

/** What a document update sets (mongoose.ts `updatedFields`): its fields, or those it does not set when it spreads rests. */
function documentColumns(call: ts.CallExpression): { columns?: string[]; notWritten?: string[] } {
  const update = updatedFields(call);
  if (!update) return {};
  if (update.opaque.length === 0) return { columns: update.fields };
  return notWrittenBy(update.opaque, update.fields);
}

/** Left out by every one of `rests` (rest elements of destructurings) and not among `named`. */
function notWrittenBy(rests: readonly ts.Expression[], named: readonly string[]): { notWritten?: string[] } {
  const excluded = rests.map(restExclusions);
  if (excluded.some((e) => e === undefined)) return {};
  const notWritten = excluded[0]!.filter((c) => !named.includes(c) && excluded.every((e) => e!.includes(c)));
  return notWritten.length > 0 ? { notWritten } : {};
}

/** The properties a rest element leaves out (`rest` of `const { id, email, ...rest } = input`): `id`, `email`. */
function restExclusions(value: ts.Expression): readonly string[] | undefined {
  const node = skipParens(value);
  const element = ts.isIdentifier(node) ? declarationOf(node) : undefined;
  if (!element || !ts.isBindingElement(element) || !element.dotDotDotToken || !ts.isObjectBindingPattern(element.parent)) return undefined;
  const names: string[] = [];
  for (const sibling of element.parent.elements) {
    if (sibling === element) continue;
    const key = sibling.propertyName ?? sibling.name;
    if (!ts.isIdentifier(key) && !ts.isStringLiteral(key)) return undefined;
    names.push(key.text);
  }
  return names;
}

/**
 * A function's name; an anonymous one passed to a call takes the name of what it is assigned to (`export const PATCH
 * = withWorkspace(async (req) => …)` → `PATCH`).
 */
function writerName(fn: FunctionLike): string {
  const own = functionName(fn);
  if (own !== "<anonymous>") return own;
  let node: ts.Node = fn;
  while (ts.isCallExpression(node.parent) || ts.isParenthesizedExpression(node.parent) || ts.isAwaitExpression(node.parent))
    node = node.parent;
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if ((ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && parent.name && !ts.isComputedPropertyName(parent.name))
    return parent.name.getText();
  return own;
}

/** The collection of a driver write that the recogniser named by its handle only, followed through the handle. */
function namedTableAt(program: ts.Program, sourceFile: ts.SourceFile, write: ColumnWrite): string | undefined {
  const access = dbAccessesIn(sourceFile).find((a) => a.node.getStart(sourceFile) === write.start);
  return access && accessTable(program, access);
}

/** Other writes of `column` of the table `write` changes: those known to set it, and those whose columns are not visible. */
export function otherWritersOf(
  program: ts.Program,
  write: DbAccess,
  column: string,
): { known: readonly ColumnWrite[]; unknown: readonly ColumnWrite[] } {
  const file = normalizePath(write.node.getSourceFile().fileName);
  const start = write.node.getStart();
  const table = accessTable(program, write);
  const others = table
    ? [
        ...writesOfTable(program, table),
        ...(write.library === "mongodb" ? (documentWrites(program).unseen.get(tableKey(table)) ?? []) : []),
      ].filter((w) => w.file !== file || w.start !== start)
    : [];
  return {
    known: others.filter((w) => w.columns?.some((c) => sameColumn(c, column))),
    unknown: others.filter((w) => !w.columns && !w.notWritten?.some((c) => sameColumn(c, column))),
  };
}

/**
 * No write outside `fn` is seen to change a column `write` sets: its table is known, and each other write of that
 * table that sets one of them lies inside `fn` (a write whose columns are not visible, such as a change-tracking
 * `save(entity)`, is not taken as one). A function that runs one at a time then has no second writer to lose an update
 * to; with one, making that function single-flight does not stop the other.
 */
export function writtenOnlyWithin(program: ts.Program, write: DbAccess, fn: FunctionLike): boolean {
  // A write whose table is not known may share its columns with any writer.
  if (!write.table || !writersKnown(program, write)) return false;
  const file = normalizePath(fn.getSourceFile().fileName);
  // A write made through a project helper (`updateStat(name, block)`) is that helper's statement: not another writer.
  const own = write.through?.access.node;
  const ownFile = own && normalizePath(own.getSourceFile().fileName);
  const inside = (w: ColumnWrite) =>
    (w.file === file && w.start >= fn.getStart() && w.start < fn.end) || (w.file === ownFile && w.start === own!.getStart());
  return write.assignments.every((a) => otherWritersOf(program, write, a.column).known.every(inside));
}

/**
 * The project's writers of the columns `write` sets can all be found. A MongoDB document's only when its collection is
 * named and every update-like call of the project names its collection (a `usersCollection.updateOne` in a file that
 * does not import the driver is not recognised as a write, and a handle followed to nothing may be any collection).
 */
export function writersKnown(program: ts.Program, write: DbAccess): boolean {
  if (write.library !== "mongodb") return true;
  return !isUnnamedCollection(accessTable(program, write)) && documentWrites(program).complete;
}

/** Update-like method names of the MongoDB driver (and of anything else: a name alone does not tell the library). */
const DOCUMENT_UPDATE_NAMES = new Set([
  "updateOne",
  "updateMany",
  "findOneAndUpdate",
  "findByIdAndUpdate",
  "replaceOne",
  "findOneAndReplace",
  "bulkWrite",
]);
const DOCUMENT_UPDATE = new RegExp(`\\.(${[...DOCUMENT_UPDATE_NAMES].join("|")})\\(`);

interface DocumentWrites {
  /** Every update-like call names its collection (a recognised write of another library needs none). */
  complete: boolean;
  /** Update-like calls the recognisers do not see as writes (`bulkWrite`, `replaceOne`, a file without the driver's import), by collection: writers of columns not known. */
  unseen: Map<string, ColumnWrite[]>;
}

const documentIndexes = new WeakMap<ts.Program, DocumentWrites>();

/** The project's update-like calls that column-writers' index does not hold, and whether each names its collection. */
function documentWrites(program: ts.Program): DocumentWrites {
  let found = documentIndexes.get(program);
  if (found) return found;
  found = { complete: true, unseen: new Map() };
  for (const sourceFile of productionFiles(program)) {
    if (!DOCUMENT_UPDATE.test(sourceFile.text)) continue;
    const recognised = new Map(dbAccessesIn(sourceFile).map((a) => [a.node.getStart(sourceFile), a]));
    const visit = (node: ts.Node): void => {
      ts.forEachChild(node, visit);
      if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression)) return;
      if (!DOCUMENT_UPDATE_NAMES.has(node.expression.name.text)) return;
      const access = recognised.get(node.getStart(sourceFile));
      if (access && access.library !== "mongodb" && access.library !== "mongoose") return;
      const table = access ? accessTable(program, access) : collectionOfHandle(program, node.expression.expression);
      if (isUnnamedCollection(table)) found!.complete = false;
      else if (!access || access.kind !== "write") {
        const fn = enclosingFunction(node);
        // An update's fields are those its document names; a replacement or a bulk write's are not visible.
        const method = node.expression.name.text;
        const write: ColumnWrite = {
          file: normalizePath(sourceFile.fileName),
          line: sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile)).line + 1,
          start: node.getStart(sourceFile),
          writer: fn ? writerName(fn) : "<module>",
          ...(/^(replaceOne|findOneAndReplace|bulkWrite)$/.test(method) ? {} : documentColumns(node)),
        };
        const key = tableKey(table!);
        found!.unseen.set(key, [...(found!.unseen.get(key) ?? []), write]);
      }
    };
    visit(sourceFile);
  }
  documentIndexes.set(program, found);
  return found;
}

/** `updateBilling (src/billing.ts:42)`: a write's place, relative to the working folder (or to `from`'s folder). */
export function describeWriter(write: ColumnWrite, from: string): string {
  const cwd = normalizePath(process.cwd());
  const relative = path.posix.relative(cwd, write.file);
  const shown = relative.startsWith("..") ? path.posix.relative(commonFolder(write.file, from), write.file) : relative;
  return write.writer.startsWith("<") ? `the code at ${shown}:${write.line}` : `\`${write.writer}\` (${shown}:${write.line})`;
}

function commonFolder(a: string, b: string): string {
  const [x, y] = [path.posix.dirname(a).split("/"), path.posix.dirname(b).split("/")];
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  return x.slice(0, i).join("/") || "/";
}
