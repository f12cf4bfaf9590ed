-- b227: the managed webhook endpoints, before the fix added a unique constraint on (account_id, url).
CREATE TABLE managed_endpoints (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
