import { Schema, model } from "mongoose";
const Account = model("Account", new Schema({ email: String, passwordHash: String }));
const ResetToken = model("ResetToken", new Schema({ token: String, account: Schema.Types.ObjectId, used: Boolean, expiresAt: Date }));
declare function hashPassword(plain: string): Promise<string>;
// The reset token is loaded, tested unused, the new password saved, and only then the token marked used and saved:
// two submissions of one link both find it unused, and both set a password from the same single-use token.
export async function resetPassword(token: string, newPassword: string) {
  const resetToken = await ResetToken.findOne({ token });
  if (!resetToken) throw new Error("Invalid reset link");
  if (resetToken.used) throw new Error("This reset link was already used");
  if (!resetToken.expiresAt || resetToken.expiresAt < new Date()) throw new Error("This reset link has expired");
  const account = await Account.findById(resetToken.account);
  if (!account) throw new Error("Account not found");
  account.passwordHash = await hashPassword(newPassword);
  await account.save();
  resetToken.used = true;
  await resetToken.save();
  return { reset: true };
}
// Correct: the token is claimed first by one conditional update that only matches an unused, unexpired token, so
// exactly one submission gets the document back.
export async function resetPasswordOnce(token: string, newPassword: string) {
  const resetToken = await ResetToken.findOneAndUpdate(
    { token, used: false, expiresAt: { $gt: new Date() } },
    { $set: { used: true } },
    { new: true },
  );
  if (!resetToken) throw new Error("Invalid, used or expired reset link");
  const account = await Account.findById(resetToken.account);
  if (!account) throw new Error("Account not found");
  account.passwordHash = await hashPassword(newPassword);
  await account.save();
  return { reset: true };
}
