CREATE TABLE scan_marks (
  mark binary(32) NOT NULL,
  height int NOT NULL,
  weight float,
  PRIMARY KEY (mark),
  INDEX (height)
);
