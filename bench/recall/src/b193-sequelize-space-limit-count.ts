import { DataTypes, Model, Sequelize } from "sequelize";
const sequelize = new Sequelize(process.env.DATABASE_URL!);
class Workspace extends Model {
  declare id: number;
  declare maxSpaces: number;
}
Workspace.init({ maxSpaces: DataTypes.INTEGER }, { sequelize, tableName: "workspaces" });
class Space extends Model {
  declare id: number;
  declare workspaceId: number;
  declare kind: string;
  declare name: string;
}
Space.init({ workspaceId: DataTypes.INTEGER, kind: DataTypes.STRING, name: DataTypes.STRING }, { sequelize, tableName: "spaces" });
// The plan's space limit is checked by listing the workspace's regular spaces, and the space is created afterwards in
// its own transaction: requests sent in parallel all list under the limit and all create, past the plan's limit.
export async function createRegularSpace(workspaceId: number, name: string) {
  const workspace = await Workspace.findByPk(workspaceId);
  if (!workspace) throw new Error("Workspace not found");
  const spaces = await Space.findAll({ where: { workspaceId, kind: "regular" } });
  if (spaces.length >= workspace.maxSpaces) throw new Error("Space limit reached for this plan");
  return sequelize.transaction((t) => Space.create({ workspaceId, kind: "regular", name }, { transaction: t }));
}
// Correct: one transaction locks the workspace row first, so creations in one workspace count and insert in turn.
export async function createRegularSpaceLocked(workspaceId: number, name: string) {
  return sequelize.transaction(async (t) => {
    const workspace = await Workspace.findByPk(workspaceId, { transaction: t, lock: t.LOCK.UPDATE });
    if (!workspace) throw new Error("Workspace not found");
    const count = await Space.count({ where: { workspaceId, kind: "regular" }, transaction: t });
    if (count >= workspace.maxSpaces) throw new Error("Space limit reached for this plan");
    return Space.create({ workspaceId, kind: "regular", name }, { transaction: t });
  });
}
