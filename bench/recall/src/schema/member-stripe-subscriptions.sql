-- b261: the members' Stripe subscriptions table of the subscription-link reproduction, as it stood before the fix:
-- the Stripe subscription id is indexed for lookups, but nothing makes it unique (the source's duplicates).
CREATE TABLE member_stripe_subscriptions (
  id varchar(24) PRIMARY KEY,
  member_id varchar(24) NOT NULL,
  customer_id varchar(255) NOT NULL,
  subscription_id varchar(255) NOT NULL,
  status varchar(50) NOT NULL,
  price_id varchar(255) NOT NULL
);
CREATE INDEX member_stripe_subscriptions_subscription_idx ON member_stripe_subscriptions (subscription_id);
