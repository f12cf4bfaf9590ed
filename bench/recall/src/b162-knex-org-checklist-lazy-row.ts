import knex from "knex";
const db = knex({ client: "pg", connection: process.env.DATABASE_URL });
// An organisation's checklist row is created lazily on the query path: read it, and insert when nothing came back. The
// table has no unique key on the organisation, so the first queries of a new organisation (a dashboard's tiles
// loading at once) all read nothing and all insert, leaving several rows for one organisation.
export async function checklistFor(orgId: number) {
  const rows = await db("org_checklists").select("first_query_at", "shown_done_at").where("org_id", orgId).limit(1);
  if (rows.length === 0) {
    await db("org_checklists").insert({ org_id: orgId, first_query_at: null, shown_done_at: null });
    return { firstQueryAt: null, shownDoneAt: null };
  }
  return { firstQueryAt: rows[0].first_query_at as Date | null, shownDoneAt: rows[0].shown_done_at as Date | null };
}
