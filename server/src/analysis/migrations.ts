// Schema and data migrations: a migration's `up`/`down` is applied once, by a runner that applies one migration at a
// time (TypeORM, MikroORM, Knex, Kysely, Sequelize/Umzug all do), so two runs of one migration, or two migrations,
// never overlap. What such code races with is the running application during a deploy, which is not the race the
// read-modify-write and lock-order rules describe.
import { ts } from "../engine/ts";
import { isFunctionLike } from "./ast";

const MIGRATION_STEPS = new Set(["up", "down"]);
/** Base types of migration classes: TypeORM's `MigrationInterface`, MikroORM's `Migration`. */
const MIGRATION_BASES = /^(MigrationInterface|Migration)$/;

/** `node` is inside the `up`/`down` of a migration (a class implementing a migration base, or a migrations folder's file). */
export function inMigration(node: ts.Node): boolean {
  for (let current: ts.Node | undefined = node; current; current = current.parent) {
    if (!isFunctionLike(current) || !MIGRATION_STEPS.has(stepName(current) ?? "")) continue;
    const owner = current.parent;
    if (owner && ts.isClassLike(owner)) return extendsMigration(owner) || inMigrationsFolder(current);
    return inMigrationsFolder(current);
  }
  return false;
}

/** The migration function declared at `start` in `file` of `program`, if that is one. */
export function isMigrationAt(program: ts.Program, file: string, start: number): boolean {
  const sourceFile = program.getSourceFile(file);
  if (!sourceFile) return false;
  let found: ts.Node | undefined;
  const visit = (node: ts.Node): void => {
    if (found || start < node.pos || start >= node.end) return;
    if (isFunctionLike(node) && node.getStart(sourceFile) === start) found = node;
    else ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return found !== undefined && inMigration(found);
}

function stepName(fn: ts.Node): string | undefined {
  const named = fn as ts.Node & { name?: ts.Node };
  if (named.name && (ts.isIdentifier(named.name) || ts.isStringLiteral(named.name))) return named.name.text;
  // `export const up = async (knex) => …`, `module.exports = { up: async () => … }`
  const parent = fn.parent;
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (parent && ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  return undefined;
}

function extendsMigration(cls: ts.ClassLikeDeclaration): boolean {
  return (cls.heritageClauses ?? []).some((clause) =>
    clause.types.some((type) => {
      const expr = type.expression;
      const name = ts.isPropertyAccessExpression(expr) ? expr.name.text : ts.isIdentifier(expr) ? expr.text : "";
      return MIGRATION_BASES.test(name);
    }),
  );
}

function inMigrationsFolder(node: ts.Node): boolean {
  return /(^|\/)migrations?\//i.test(node.getSourceFile().fileName);
}
