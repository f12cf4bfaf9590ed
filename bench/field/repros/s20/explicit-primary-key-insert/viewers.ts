import { EntitySchema, getRepository } from "typeorm";

interface Viewer {
  platformId: string;
  login: string;
}

// The row's key is the platform's id for the login; the login itself is only indexed.
export const ViewerEntity = new EntitySchema<Viewer>({
  name: "viewer",
  columns: {
    platformId: { type: String, primary: true },
    login: { type: String },
  },
  indices: [{ name: "IDX_viewer_login", columns: ["login"] }],
});

declare function platformIdOf(login: string): Promise<string>;

class Viewers {
  async idForLogin(login: string): Promise<string> {
    const found = await getRepository(ViewerEntity).findOne({ where: { login }, select: ["platformId"] });
    if (!found) {
      const saved = await getRepository(ViewerEntity).save({ platformId: await platformIdOf(login), login });
      return saved.platformId;
    }
    return found.platformId;
  }
}

export const viewers = new Viewers();
