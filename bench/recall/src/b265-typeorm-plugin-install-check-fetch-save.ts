import { Column, DataSource, Entity, EntityManager, Index, PrimaryGeneratedColumn, QueryFailedError } from "typeorm";
@Entity({ name: "marketplace_plugins" })
export class InstalledPlugin {
  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column() pluginId!: string;
  @Column() name!: string;
  @Column() version!: string;
  @Column({ type: "text" }) manifest!: string;
}
const dataSource = new DataSource({ type: "postgres", url: process.env.DATABASE_URL, entities: [InstalledPlugin] });
function inTransaction<T>(work: (manager: EntityManager) => Promise<T>) {
  return dataSource.transaction(work);
}
declare function downloadPluginBundle(pluginId: string): Promise<{ version: string; manifest: string }>;
// Installing a marketplace plugin checks that it is not installed yet, downloads its bundle, then saves it. Nothing
// makes pluginId unique, so two clicks on "Install" both pass the check during the download and the plugin is
// installed twice.
export async function installPlugin(pluginId: string, name: string) {
  const existing = await inTransaction((manager) => manager.findOne(InstalledPlugin, { where: { pluginId } }));
  if (existing) throw new Error(`Plugin '${name}' is already installed.`);
  const bundle = await downloadPluginBundle(pluginId);
  return inTransaction(async (manager) => {
    const plugin = manager.create(InstalledPlugin, { pluginId, name, version: bundle.version, manifest: bundle.manifest });
    return manager.save(plugin);
  });
}
// Correct: a unique index on pluginId, and the duplicate-key error of the losing install answered as "already
// installed".
@Entity({ name: "marketplace_plugins_indexed" })
export class IndexedPlugin {
  @PrimaryGeneratedColumn("uuid") id!: string;
  @Index({ unique: true }) @Column() pluginId!: string;
  @Column() name!: string;
  @Column() version!: string;
}
export async function installPluginIndexed(pluginId: string, name: string) {
  const bundle = await downloadPluginBundle(pluginId);
  try {
    return await inTransaction(async (manager) => manager.save(manager.create(IndexedPlugin, { pluginId, name, version: bundle.version })));
  } catch (error) {
    if (error instanceof QueryFailedError && (error as QueryFailedError & { code?: string }).code === "23505") {
      throw new Error(`Plugin '${name}' is already installed.`);
    }
    throw error;
  }
}
