-- b140: the referrals table of the wallet reproduction, as it stood before the fix (no unique key on the wallet).
CREATE TABLE wallet_referrals (
  id bigserial PRIMARY KEY,
  referred_wallet text NOT NULL,
  referral_code text NOT NULL,
  status text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
