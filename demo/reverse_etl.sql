-- Reverse ETL: the territories each user should hold, computed in the warehouse.
--
-- Two tables the data team owns (fill them from HR, a spreadsheet, a model, ...):
--   reverse_etl.user_regions        which region each person (by e-mail) works in;
--   reverse_etl.region_territories  which Zoho territories (by name) cover each region.
-- The view joins them with what `meltano run tap-zoho-territories target-postgres` loaded into
-- schema zoho_crm, turning e-mails and names into Zoho ids, and keeping active users only (Zoho
-- refuses to add territories to inactive users). tap-postgres reads the view and
-- target-zoho-territories--warehouse (mode mirror) makes every user it names hold exactly its
-- territories. See docs/meltano.md, "Reverse ETL from PostgreSQL".
--
-- Safe to run again: nothing is dropped and the view is replaced.

CREATE SCHEMA IF NOT EXISTS reverse_etl;

CREATE TABLE IF NOT EXISTS reverse_etl.user_regions (
    email text PRIMARY KEY,
    region text NOT NULL
);

CREATE TABLE IF NOT EXISTS reverse_etl.region_territories (
    region text NOT NULL,
    territory_name text NOT NULL,
    PRIMARY KEY (region, territory_name)
);

CREATE OR REPLACE VIEW reverse_etl.wanted_assignments AS
SELECT DISTINCT u.id AS user_id, t.id AS territory_id
FROM reverse_etl.user_regions AS ur
JOIN zoho_crm.users AS u ON lower(u.email) = lower(ur.email) AND u.status = 'active'
JOIN reverse_etl.region_territories AS rt ON rt.region = ur.region
JOIN zoho_crm.territories AS t ON t.name = rt.territory_name;
