// write-skew, session 17's held-out check (daily-api): a local name resolves to the declaration its own scope binds.
// A `repo` of another function of the same file (a Playlist repository keyed by a generated id) is not the `repo` a
// transaction callback declares for Follow, whose two primary columns make (listenerId, artistId) unique: the check
// and the insert then need no other guard. The same code over a Follow keyed by a generated id stays reported.
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";

const COMPOSITE_KEY = `  @PrimaryColumn({ type: "text" })
  listenerId: string;

  @PrimaryColumn({ type: "text" })
  artistId: string;`;

const GENERATED_KEY = `  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Column({ type: "text" })
  listenerId: string;

  @Column({ type: "text" })
  artistId: string;`;

/** Two entities: Follow keyed as given, Playlist by a generated id. */
const entities = (followKey: string) => `import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from "typeorm";

@Entity()
export class Follow {
${followKey}

  @Column({ type: "boolean", default: false })
  muted: boolean;
}

@Entity()
export class Playlist {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Column({ type: "text" })
  ownerId: string;

  @Column({ type: "boolean", default: false })
  muted: boolean;
}
`;

/** A Playlist `repo` in one function, then a Follow `repo` of the same name in a transaction callback of another. */
const follows = `import { DataSource } from "typeorm";
import { Follow, Playlist } from "./entities";

export async function mutePlaylist(ds: DataSource, ownerId: string, id: string) {
  const repo = ds.getRepository(Playlist);
  const playlist = await repo.findOneByOrFail({ id, ownerId });
  await repo.update({ id: playlist.id }, { muted: true });
}

export async function muteArtist(ds: DataSource, listenerId: string, artistId: string) {
  return ds.transaction(async (tx) => {
    const repo = tx.getRepository(Follow);
    const follow = await repo.findOneBy({ listenerId, artistId });
    if (follow) return repo.update({ listenerId, artistId }, { muted: true });
    return repo.insert({ listenerId, artistId, muted: true });
  });
}
`;

runRuleTests(writeSkew, {
  valid: [
    {
      name: "the check and insert of a Follow keyed by (listenerId, artistId), next to another function's Playlist repo of the same name",
      code: follows,
      filename: "src/follows.ts",
      files: { "src/entities.ts": entities(COMPOSITE_KEY) },
    },
  ],
  invalid: [
    {
      name: "the same check and insert of a Follow keyed by a generated id: nothing stops a second row",
      code: follows,
      filename: "src/follows.ts",
      files: { "src/entities.ts": entities(GENERATED_KEY) },
      errors: [{ line: 15, column: 12, messageId: "duplicate" }],
    },
  ],
});
