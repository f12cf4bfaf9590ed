// Type stubs of database drivers for the rule tester's virtual project, which has no node_modules: enough of each
// driver's declarations for a rule that asks the type checker about them (a mysql2 promise pool's `getConnection`).
// Pass them as a case's `files`. The real drivers' types are checked by test/db/ against the examples project.

/** `mysql2/promise`: a promise pool whose connections keep `query<T>` / `execute<T>`. */
export const MYSQL2_PROMISE: Record<string, string> = {
  "node_modules/mysql2/promise.d.ts": `export interface RowDataPacket { [column: string]: any }
export interface ResultSetHeader { affectedRows: number; insertId: number }
export interface FieldPacket { name: string }
type Result = RowDataPacket[] | ResultSetHeader;
export interface Queryable {
  query<T extends Result = Result>(sql: string, values?: any): Promise<[T, FieldPacket[]]>;
  execute<T extends Result = Result>(sql: string, values?: any): Promise<[T, FieldPacket[]]>;
}
export interface PoolConnection extends Queryable { release(): void }
export interface Pool extends Queryable { getConnection(): Promise<PoolConnection> }
export interface Connection extends Queryable { beginTransaction(): Promise<void>; commit(): Promise<void> }
export function createPool(uri: string): Pool;
export function createConnection(uri: string): Promise<Connection>;
`,
};
