import postgres from "postgres";

const sql = postgres();

// Each holder's position is the row (holder, pool_index), a unique index of the migration: `holder = $1` looks the
// row up by its key, it does not compare a value read, and the update adds to it atomically.
export async function distribute(poolIndex: number, perUnit: string) {
  const shares = await sql<{ holder: string; amount: string }[]>`
    SELECT holder, floor(staked * ${perUnit}::numeric)::text AS amount
    FROM stake_positions WHERE pool_index = ${poolIndex}
  `;
  for (const s of shares) {
    await sql`
      UPDATE stake_positions SET earned = earned + ${s.amount}::numeric
      WHERE holder = ${s.holder} AND pool_index = ${poolIndex}
    `;
  }
}
