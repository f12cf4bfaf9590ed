import { Schema, model } from "mongoose";
const Agency = model("Agency", new Schema({ funds: Number, dossiers: [String] }));
type Req = { params: { id: string }; body: { rival: string } };
type Res = { json(body: unknown): void; status(code: number): { json(body: unknown): void } };
export async function hireInformant(req: Req, res: Res) {
  const agency = await Agency.findById(req.params.id);
  const fee = 25000;
  if (!agency || agency.funds! < fee) return res.status(400).json({ error: "not enough funds" });
  agency.funds = agency.funds! - fee;
  agency.dossiers.push(req.body.rival);
  await agency.save();
  res.json({ hired: true });
}
