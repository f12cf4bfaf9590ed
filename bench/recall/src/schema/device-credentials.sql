-- b299: a user's credential per device; no unique key over (user_id, device_id).
CREATE TABLE device_credentials (
  id INT IDENTITY(1,1) PRIMARY KEY,
  user_id INT NOT NULL,
  device_id NVARCHAR(200) NOT NULL,
  secret_hash NVARCHAR(200) NOT NULL
);
