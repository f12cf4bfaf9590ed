import sql from "mssql";
const poolReady = new sql.ConnectionPool(process.env.MSSQL_URL!).connect();
// Registering a device's credential selects the user's row for the device and inserts one when there is none,
// otherwise updates it. Two registrations of one device arriving together both select nothing and both insert: the
// table (src/schema/device-credentials.sql) has no unique key over (user_id, device_id), so the user ends up with two
// credential rows for one device.
export async function saveDeviceCredential(userId: number, deviceId: string, secretHash: string) {
  const pool = await poolReady;
  const found = await pool
    .request()
    .input("userId", sql.Int, userId)
    .input("deviceId", sql.NVarChar, deviceId)
    .query("SELECT id FROM device_credentials WHERE user_id = @userId AND device_id = @deviceId");
  if (found.recordset.length === 0) {
    await pool
      .request()
      .input("userId", sql.Int, userId)
      .input("deviceId", sql.NVarChar, deviceId)
      .input("secretHash", sql.NVarChar, secretHash)
      .query("INSERT INTO device_credentials (user_id, device_id, secret_hash) VALUES (@userId, @deviceId, @secretHash)");
  } else {
    await pool
      .request()
      .input("id", sql.Int, found.recordset[0].id)
      .input("secretHash", sql.NVarChar, secretHash)
      .query("UPDATE device_credentials SET secret_hash = @secretHash WHERE id = @id");
  }
}
// Correct: one MERGE under HOLDLOCK decides and writes in a single statement, holding a key-range lock.
export async function saveDeviceCredentialMerge(userId: number, deviceId: string, secretHash: string) {
  const pool = await poolReady;
  await pool
    .request()
    .input("userId", sql.Int, userId)
    .input("deviceId", sql.NVarChar, deviceId)
    .input("secretHash", sql.NVarChar, secretHash)
    .query(
      `MERGE device_credentials WITH (HOLDLOCK) AS target
       USING (SELECT @userId AS user_id, @deviceId AS device_id) AS source
       ON target.user_id = source.user_id AND target.device_id = source.device_id
       WHEN MATCHED THEN UPDATE SET secret_hash = @secretHash
       WHEN NOT MATCHED THEN INSERT (user_id, device_id, secret_hash) VALUES (@userId, @deviceId, @secretHash);`,
    );
}
