import { Column, DataSource, Entity, Index, PrimaryGeneratedColumn } from "typeorm";
@Entity({ name: "piece_catalog" })
@Index(["name", "version", "platformId"], { unique: true })
export class CatalogPiece {
  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column() name!: string;
  @Column() version!: string;
  @Column({ type: "varchar", nullable: true }) platformId!: string | null;
  @Column({ type: "jsonb" }) actions!: Record<string, unknown>;
}
const dataSource = new DataSource({ type: "postgres", url: process.env.DATABASE_URL, entities: [CatalogPiece] });
const pieces = dataSource.getRepository(CatalogPiece);
declare function listRegistry(): Promise<{ name: string; version: string }[]>;
declare function fetchPieceActions(name: string, version: string): Promise<Record<string, unknown>>;
// The catalog sync runs at boot and again from an hourly job, on every replica. Each run reads the pieces stored,
// keeps the registry's pieces missing from that snapshot, downloads their metadata and inserts them. Two runs that
// overlap compute the same missing pieces and both insert them; official pieces have no platform, and a NULL
// platformId never collides in the unique index, so the catalog gets each new piece twice.
export async function syncCatalog() {
  const [registry, stored] = await Promise.all([listRegistry(), pieces.find()]);
  const known = new Set(stored.map((piece) => `${piece.name}@${piece.version}`));
  const missing = registry.filter((piece) => !known.has(`${piece.name}@${piece.version}`));
  const fetched = await Promise.all(
    missing.map(async (piece) => ({ ...piece, platformId: null, actions: await fetchPieceActions(piece.name, piece.version) })),
  );
  await pieces.insert(fetched);
}
