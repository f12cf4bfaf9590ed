// The rule kit: everything a rule imports, from one place (as typescript-eslint's rules import `../util`). The rule
// API and `defineRule`, the TypeScript instance, fix-building text helpers, and the shared recognisers of
// `analysis/` (rules extend those rather than writing a second one).
export { ts } from "../engine/ts";
export type * from "../engine/types";
export { defineRule } from "./define-rule";
export { freshName, reindentedText, statementOf, wrapStatements, type IndentShift } from "./edit-text";
export { importEdits } from "../engine/runtime-import";
export { affectedCountCheck, affectedCountName } from "./affected-count";
export { writeLabel } from "./write-label";
export * from "../analysis/ast";
export * from "../analysis/control-flow";
export * from "../analysis/flow/queries";
export * from "../analysis/sql-text";
export * from "../analysis/sql";
export * from "../analysis/db";
export * from "../analysis/locks";
export * from "../analysis/transactions";
export * from "../analysis/identity";
export * from "../analysis/transaction-wrappers";
export { advisoryLocksOfRow, xactAdvisoryLockHeldAt } from "../analysis/advisory-xact-locks";
export * from "../analysis/write-skew";
export * from "../analysis/duplicate-insert";
export * from "../analysis/summaries";
export * from "../analysis/caller-row-locks";
export * from "../analysis/read-only-calls";
export * from "../analysis/held-regions";
export * from "../analysis/lock-tables";
export * from "../analysis/lock-holding";
export * from "../analysis/lock-wrappers";
export * from "../analysis/promise-chains";
export * from "../analysis/redis-scripts";
export * from "../analysis/slow-calls";
export * from "../analysis/migrations";
export * from "../analysis/connection-pools";
export * from "../analysis/lock-order/graph";
export * from "../analysis/lock-order/describe";
export * from "../analysis/lock-order/lock-class";
export * from "../analysis/lock-order/multi-key";
