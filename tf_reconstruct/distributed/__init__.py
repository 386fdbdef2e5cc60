"""Running the engine over a whole template database: in shards, on one process or on Ray actors."""
