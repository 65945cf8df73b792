-- The limits the services ask for at connect time (DATABASE_STATEMENT_TIMEOUT_MS = 5 s, and
-- twice that idle in a transaction), set on the database so they hold for every connection,
-- also those PgBouncer opens (it cannot pass them on). Run with: psql -v dbname=ludic -f timeouts.sql
ALTER DATABASE :"dbname" SET statement_timeout = '5s';
ALTER DATABASE :"dbname" SET idle_in_transaction_session_timeout = '10s';
