import type { Knex } from "knex";
// b162's checklist table as its knex migration creates it: a primary key and a plain foreign key to the organisation,
// no unique key on it.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("org_checklists", (table) => {
    table.increments();
    table.integer("org_id").notNullable().references("id").inTable("orgs").onDelete("CASCADE");
    table.timestamp("first_query_at", { useTz: false });
    table.timestamp("shown_done_at", { useTz: false });
  });
}
