-- b132: the alerts table of the district reproduction, as it stood before the fix (no unique key on district, day).
CREATE TABLE district_alerts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  district text NOT NULL,
  alert_day date NOT NULL,
  alert_level text NOT NULL
);
CREATE INDEX district_alerts_district_idx ON district_alerts (district);
