import { Pool } from "pg";
const pool = new Pool({ connectionString: process.env.DATABASE_URL });
export class RelayAssignments {
  // Accepting a host's control connection locks the cell's inventory row, then the host's reservation row, and moves
  // the reservation onto the cell.
  async acceptControl(hostId: string, cellId: string) {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT cell_id FROM relay_cells WHERE cell_id = $1 FOR UPDATE", [cellId]);
      await client.query("SELECT host_id FROM host_reservations WHERE host_id = $1 FOR UPDATE", [hostId]);
      await client.query("UPDATE host_reservations SET cell_id = $2 WHERE host_id = $1", [hostId, cellId]);
      await client.query("UPDATE relay_cells SET reserved = reserved + 1 WHERE cell_id = $1", [cellId]);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK");
      throw error;
    } finally {
      client.release();
    }
  }
  // Releasing the reservation locks the host's row first, then the cell's: run against an accept for the same host and
  // cell, each transaction holds one row and waits for the other's, and PostgreSQL aborts one with a deadlock.
  async releaseReservation(hostId: string, cellId: string) {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT host_id FROM host_reservations WHERE host_id = $1 FOR UPDATE", [hostId]);
      await client.query("SELECT cell_id FROM relay_cells WHERE cell_id = $1 FOR UPDATE", [cellId]);
      await client.query("UPDATE host_reservations SET cell_id = NULL WHERE host_id = $1", [hostId]);
      await client.query("UPDATE relay_cells SET reserved = reserved - 1 WHERE cell_id = $1", [cellId]);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK");
      throw error;
    } finally {
      client.release();
    }
  }
}
