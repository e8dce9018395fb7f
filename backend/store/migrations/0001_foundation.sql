-- Workspace-wide settings: small key/value facts such as when the data dir
-- was initialised and whether the demo workspace was applied.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
