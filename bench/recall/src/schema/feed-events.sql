-- b194: the events table of the ingest reproduction, as it stood before the fix: an index over (connection_id,
-- origin_id) but no unique one; only the supersede link is unique.
CREATE TABLE feed_events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  connection_id text NOT NULL,
  origin_id text NOT NULL,
  body text NOT NULL,
  supersedes uuid REFERENCES feed_events (id),
  superseded_by uuid
);
CREATE INDEX feed_events_origin_idx ON feed_events (connection_id, origin_id);
CREATE UNIQUE INDEX feed_events_supersedes_idx ON feed_events (supersedes) WHERE supersedes IS NOT NULL;
