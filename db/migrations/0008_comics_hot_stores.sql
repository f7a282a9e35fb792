-- No query reads comics by updated_at through this index, and every store of a comic's document
-- changes updated_at: with the index, each store rewrote every index of the row (GIN ones included).
DROP INDEX "idx_comics_published";