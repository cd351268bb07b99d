-- DELIBERATELY FAILING migration for the e2e "failing migration" scenario.
-- The first statement succeeds, the second is invalid SQL, so goose fails and the
-- migration's transaction is rolled back: the table below must NOT exist afterwards
-- and goose_db_version stays at the previous version.
-- +goose Up
CREATE TABLE clockwork_failed_migration_probe (id INTEGER);
THIS IS DELIBERATELY NOT VALID SQL;

-- +goose Down
DROP TABLE IF EXISTS clockwork_failed_migration_probe;
