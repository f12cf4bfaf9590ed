// Schema and data migrations: a migration (a file of a migrations folder, or the `up`/`down` of a migration class) is
// applied once, by a runner that applies one migration at a time (TypeORM, MikroORM, Knex, Kysely, Sequelize/Umzug
// all do), so two runs of one migration, or two migrations, never overlap. What such code races with is the running
// application during a deploy, which is not the race the read-modify-write and lock-order rules describe.
import { ts } from "../engine/ts";
import { isFunctionLike } from "./ast";

/**
 * A folder named migrations, or whose name ends in it (`backgroundMigrations/`, `data-migrations/`, `db_migrations/`):
 * runners of background or data migrations claim one migration at a time as well.
 */
const MIGRATIONS_FOLDER = /(^|\/)[\w.-]*migrations?\//i;
const MIGRATION_STEPS = new Set(["up", "down"]);
/** Base types of migration classes: TypeORM's `MigrationInterface`, MikroORM's `Migration`. */
const MIGRATION_BASES = /^(MigrationInterface|Migration)$/;

/** `node` is in a file of a migrations folder, or inside the `up`/`down` of a class implementing a migration base. */
export function inMigration(node: ts.Node): boolean {
  if (MIGRATIONS_FOLDER.test(node.getSourceFile().fileName)) return true;
  for (let current: ts.Node | undefined = node; current; current = current.parent) {
    if (!isFunctionLike(current) || !MIGRATION_STEPS.has(stepName(current) ?? "")) continue;
    const owner = current.parent;
    return !!owner && ts.isClassLike(owner) && extendsMigration(owner);
  }
  return false;
}

/** The migration function declared at `start` in `file` of `program`, if that is one. */
export function isMigrationAt(program: ts.Program, file: string, start: number): boolean {
  if (MIGRATIONS_FOLDER.test(file)) return true;
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
  const name = ts.isMethodDeclaration(fn) ? fn.name : undefined;
  return name && (ts.isIdentifier(name) || ts.isStringLiteral(name)) ? name.text : undefined;
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
