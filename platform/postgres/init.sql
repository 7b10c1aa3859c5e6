-- Runs once, when the postgres container starts on an empty volume.
-- The application's own database and role; the superuser stays for administration only.
CREATE ROLE aerodrome LOGIN PASSWORD 'aerodrome';
CREATE DATABASE aerodrome OWNER aerodrome;
