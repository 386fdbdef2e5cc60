"""Studies behind the engine's defaults: each writes its evidence under experiments/."""
