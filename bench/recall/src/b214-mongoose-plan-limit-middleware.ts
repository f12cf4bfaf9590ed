import type { NextFunction, Request, Response } from "express";
import { Schema, model } from "mongoose";
const Workspace = model("Workspace", new Schema({ owner: { type: String, index: true }, title: String }));
const PLAN_WORKSPACES: Record<string, number> = { free: 1, pro: 20 };
type AuthedRequest = Request & { account: { id: string; plan: string } };
// The plan middleware counts the account's workspaces and lets the request through under the cap; the route handler
// after it creates the workspace. A double click sends two requests that both count 0 of 1 and both create.
export async function enforceWorkspaceLimit(req: AuthedRequest, res: Response, next: NextFunction) {
  const limit = PLAN_WORKSPACES[req.account.plan] ?? 0;
  if (limit === -1) return next();
  const owned = await Workspace.countDocuments({ owner: req.account.id });
  if (owned >= limit) return res.status(403).json({ error: `Workspace limit reached (${limit})` });
  return next();
}
export async function createWorkspace(req: AuthedRequest, res: Response) {
  const workspace = await Workspace.create({ owner: req.account.id, title: req.body.title });
  res.status(201).json(workspace);
}
