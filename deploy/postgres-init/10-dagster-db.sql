-- Dagster's own storage lives beside GoodSeed's database on the same server, in its own database.
CREATE DATABASE dagster OWNER goodseed;
