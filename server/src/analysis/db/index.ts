// Database and Redis accesses in code, whatever the library (access.ts and one file per driver / ORM family), and
// the read → write flows between them (read-modify-write.ts). The public API; the recognisers stay internal.
export {
  dbAccessOf,
  dbAccessesIn,
  isDelete,
  isVersionColumn,
  sameTable,
  tableKey,
  type AccessAssignment,
  type AccessCondition,
  type AccessKind,
  type DbAccess,
  type DbLibrary,
} from "./access";
export { describeWriter, otherWritersOf, writersKnown, writesOfTable, writtenOnlyWithin, type ColumnWrite } from "./column-writers";
export { drizzleSchemaIsSqlite } from "./drizzle-kysely";
export { mongooseUniqueFieldSets } from "./mongoose";
export { prismaModelNames, type PrismaModelNames } from "./prisma";
export { placeholderValue } from "./sql-drivers";
export { accessAtCall, stepsThrough } from "./row-summaries";
export { localVariable, promisesAwaitedTogether, rootOf, settlesConflict } from "./shapes";
export {
  assignedBefore,
  assignmentValues,
  isKeyColumn,
  isPrimaryKey,
  isSetOnceWrite,
  pinsAndBumpsVersion,
  VERSION_COUNTER,
  readModifyWritesIn,
  replacedParts,
  type ReadModifyWrite,
  type ReadValue,
} from "./read-modify-write";
