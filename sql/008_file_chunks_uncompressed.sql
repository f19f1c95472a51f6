-- Uploads are compressed already (PDF streams, JPEG, PNG): Postgres trying to compress each 1 MB
-- chunk again only costs time, a fifth of the time of storing a 185 MB scan.
alter table file_chunks alter column data set storage external;
