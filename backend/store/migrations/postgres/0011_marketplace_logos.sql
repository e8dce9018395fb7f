-- PostgreSQL twin of ../0011_marketplace_logos.sql (same version, same tables and columns;
-- INTEGER is BIGINT, BLOB is BYTEA, INTEGER PRIMARY KEY ids are identities).
-- Listing logos uploaded in the console, served at /marketplace/logos/<name>.
-- The name is the sha256 of the bytes plus the extension of the type read
-- from them, so no upload chooses it.
CREATE TABLE marketplace_logos (
    name         TEXT PRIMARY KEY,   -- <sha256 hex>.<png|jpg|webp|svg>
    content_type TEXT NOT NULL,      -- image/png, image/jpeg, image/webp, image/svg+xml
    data         BYTEA NOT NULL,
    created_at   TEXT NOT NULL
);
