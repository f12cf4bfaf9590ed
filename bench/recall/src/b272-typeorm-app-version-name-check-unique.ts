import { Column, DataSource, Entity, PrimaryGeneratedColumn, QueryFailedError, Unique } from "typeorm";
@Entity({ name: "app_versions" })
@Unique("app_versions_name_app_id_unique", ["name", "appId"])
export class AppVersion {
  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column() name!: string;
  @Column() appId!: string;
  @Column({ type: "jsonb" }) definition!: Record<string, unknown>;
}
const dataSource = new DataSource({ type: "postgres", url: process.env.DATABASE_URL, entities: [AppVersion] });
const versions = dataSource.getRepository(AppVersion);
// Creating an app version refuses a name the app already uses, then copies the source version. The unique constraint
// added with the check keeps the table clean, but two requests with the same name both pass the check and the second
// save fails on the constraint: nothing handles that error, and the user gets an unexplained 500.
export async function createVersion(appId: string, name: string, fromVersionId: string) {
  const taken = await versions.findOne({ where: { appId, name } });
  if (taken) throw new Error(`Version name '${name}' already exists.`);
  const source = await versions.findOneOrFail({ where: { id: fromVersionId } });
  return versions.save(versions.create({ appId, name, definition: source.definition }));
}
// Correct: the constraint's error is the answer to the race, reported as the same "already exists".
export async function createVersionHandled(appId: string, name: string, fromVersionId: string) {
  const source = await versions.findOneOrFail({ where: { id: fromVersionId } });
  try {
    return await versions.save(versions.create({ appId, name, definition: source.definition }));
  } catch (error) {
    if (error instanceof QueryFailedError && (error as QueryFailedError & { code?: string }).code === "23505") {
      throw new Error(`Version name '${name}' already exists.`);
    }
    throw error;
  }
}
