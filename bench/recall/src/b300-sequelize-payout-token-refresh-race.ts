import axios from "axios";
import { DataTypes, Model, Sequelize } from "sequelize";
const sequelize = new Sequelize(process.env.DATABASE_URL!);
interface TokenData {
  expiresAt: number;
  scope?: string;
  profileId?: number;
}
class PayoutAccount extends Model {
  declare id: number;
  declare collectiveId: number;
  declare service: string;
  declare token: string;
  declare refreshToken: string;
  declare data: TokenData;
}
PayoutAccount.init(
  {
    collectiveId: DataTypes.INTEGER,
    service: DataTypes.STRING,
    token: DataTypes.STRING,
    refreshToken: DataTypes.STRING,
    data: DataTypes.JSONB,
  },
  { sequelize, tableName: "payout_accounts" },
);
// Every call to the payout provider first gets a token: when the stored one is about to expire, the refresh token is
// exchanged for a new pair and saved. The provider rotates refresh tokens, and nothing serialises the refresh: two
// payouts at the expiry both exchange the same refresh token, the second exchange is rejected (or its pair overwrites
// the first's), and the account's authorisation breaks until someone reconnects it.
export async function getPayoutToken(collectiveId: number): Promise<string> {
  const account = await PayoutAccount.findOne({ where: { collectiveId, service: "payouts" } });
  if (!account) throw new Error("payout account not connected");
  if (account.data.expiresAt > Date.now() + 60_000) return account.token;
  const { data: refreshed } = await axios.post(
    `${process.env.PAYOUT_API_URL}/oauth/token`,
    new URLSearchParams({ grant_type: "refresh_token", refresh_token: account.refreshToken }),
  );
  await account.update({
    token: refreshed.access_token,
    refreshToken: refreshed.refresh_token,
    data: { ...account.data, expiresAt: Date.now() + refreshed.expires_in * 1000 },
  });
  return account.token;
}
