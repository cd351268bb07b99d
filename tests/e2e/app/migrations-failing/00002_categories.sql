-- clockwork contract double: categories, optionally belonging to a project.
-- +goose Up
CREATE TABLE categories (
    id         BIGSERIAL PRIMARY KEY,
    project_id BIGINT      REFERENCES projects (id) ON DELETE CASCADE,
    name       TEXT        NOT NULL,
    color      TEXT        NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX categories_project_id_idx ON categories (project_id);

-- +goose Down
DROP TABLE categories;
