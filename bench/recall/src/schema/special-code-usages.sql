-- b333: the special-code tables of the redeem reproduction. A developer uses a code once: (code_id, developer_id) is
-- the usage table's primary key. Purchases carry no unique key over (developer_id, item_id).
CREATE TABLE special_code_usages (
  code_id uuid NOT NULL,
  developer_id uuid NOT NULL,
  used_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (code_id, developer_id)
);
CREATE TABLE purchases (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  developer_id uuid NOT NULL,
  item_id uuid NOT NULL,
  provider text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
