import { Schema, model } from "mongoose";
const Member = model("Member", new Schema({ email: { type: String, unique: true }, name: String }));
const ceiling = Number(process.env.SIGNUP_CEILING ?? 0) || null;
// Sign-up closes at a ceiling checked by counting the members before the new one is created: concurrent sign-ups one
// below the ceiling all see a seat left and all get in.
export async function signUp(body: { email: string; name: string }) {
  const total = await Member.countDocuments();
  if (ceiling !== null && total >= ceiling) {
    return { status: 404, message: "Registration is currently deactivated" };
  }
  const member = await Member.create({ email: body.email, name: body.name });
  return { status: 200, member };
}
